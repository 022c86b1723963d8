/**
 * The sandbox itself: the fake releases, node, service script and hosts behave as GenLayer's
 * real ones do where glr can tell. Every test shows a refusal (or an absence) beside the success,
 * so that none of them could pass against a sandbox that does not do what it says.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENLAYER_LINKS, SANDBOX_ENV, SANDBOX_OPENROUTERKEY, SandboxHost, waitFor } from '../../sandbox/host.js';
import { buildRelease, releaseTopFolder } from '../../sandbox/releases.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { SECRETS } from '../helpers/glr.js';

let server: ReleaseServer;
beforeAll(async () => {
  server = await startReleaseServer();
});
afterAll(async () => server?.close());

/** the entries of a release tarball, relative to its top folder */
async function entries(version: string, o: Parameters<typeof buildRelease>[0] = { version }): Promise<string[]> {
  const names: string[] = [];
  await pipeline(
    Readable.from(await buildRelease(o)),
    tar.t({ onReadEntry: (e) => names.push(e.path.replace(`${releaseTopFolder(version)}/`, '').replace(/\/$/, '')) }),
  );
  return names.filter(Boolean).sort();
}

function setEnvLine(file: string, name: string, value: string | null): void {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith(`${name}=`));
  if (value !== null) lines.push(`${name}=${value}`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

function editSpec(host: SandboxHost, version: string, change: Record<string, unknown>): void {
  const f = path.join(host.root, version, 'bin/fake-node.json');
  writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), ...change }));
}

function nodeOutput(host: SandboxHost): string {
  const f = path.join(host.state, 'node-output.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/** stops the node and starts it again through the service script (which returns once it is launched) */
function restart(host: SandboxHost): void {
  expect(host.svc('stop')).toBe(0);
  expect(host.svc('start')).toBe(0);
}

async function waitDead(host: SandboxHost): Promise<void> {
  await waitFor(() => host.svc('status') === 3, { timeoutMs: 10_000, what: 'the node to exit' });
}

function doctor(dir: string, env: Record<string, string>): { code: number | null; out: string } {
  const r = spawnSync(path.join(dir, 'bin/genlayernode'), ['doctor'], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('releases: the v0.5 shape beside the v0.4 one', () => {
  it('v0.5.10 ships what GenLayer ships (config example, .env.example, alloy files, both LLM files and Lua scripts), no live config', async () => {
    const e = await entries('v0.5.10');
    for (const want of [
      'bin/genlayernode',
      'third_party/genvm/bin/setup.py',
      'third_party/genvm/config/genvm-module-llm.yaml',
      'third_party/genvm/config/genvm-modules-llm-release.yaml',
      'third_party/genvm/config/genvm-llm-default.lua',
      'third_party/genvm/config/genvm-llm-greybox.lua',
      'configs/node/config.yaml.example',
      'docker-compose.yaml',
      '.env.example',
      'alloy-config.river',
      'alloy-healthcheck.sh',
      'genvm-module-web-docker.yaml',
    ])
      expect(e, want).toContain(want);
    expect(e).not.toContain('configs/node/config.yaml');
    // GenVM's binaries come from setup, never from the tarball
    expect(e).not.toContain('third_party/genvm/bin/genvm');
  });

  it('before v0.5.7: no alloy-healthcheck.sh, no release LLM file, no greybox script; v0.4 keeps its shape unless told', async () => {
    const e056 = await entries('v0.5.6');
    expect(e056).toContain('alloy-config.river');
    expect(e056).toContain('third_party/genvm/config/genvm-llm-default.lua');
    for (const absent of ['alloy-healthcheck.sh', 'third_party/genvm/config/genvm-modules-llm-release.yaml', 'third_party/genvm/config/genvm-llm-greybox.lua'])
      expect(e056).not.toContain(absent);

    const e045 = await entries('v0.4.5');
    expect(e045).toContain('configs/node/config.yaml');
    expect(e045).not.toContain('.env.example');
    expect(e045).not.toContain('alloy-config.river');
    const forced = await entries('v0.4.5', { version: 'v0.4.5', shape: 'v0.5' });
    expect(forced).toContain('.env.example');
    expect(forced).not.toContain('configs/node/config.yaml');
  });

  it('the release LLM file has every backend (openrouter and morpheus too), keys as ${ENV[NAME]}; the shipped one fewer, default strategy', async () => {
    const files: Record<string, string> = {};
    await pipeline(
      Readable.from(await buildRelease({ version: 'v0.5.11' })),
      tar.t({
        onReadEntry: (e) => {
          if (!e.path.endsWith('.yaml')) return e.resume();
          const chunks: Buffer[] = [];
          e.on('data', (c: Buffer) => chunks.push(c));
          e.on('end', () => (files[path.basename(e.path)] = Buffer.concat(chunks).toString('utf8')));
        },
      }),
    );
    type Llm = { lua_script_path: string; backends: Record<string, { key: string; enabled?: boolean }> };
    const release = parse(files['genvm-modules-llm-release.yaml']!) as Llm;
    const shipped = parse(files['genvm-module-llm.yaml']!) as Llm;
    const keys = Object.fromEntries(Object.entries(release.backends).map(([n, b]) => [n, b.key]));
    expect(keys).toMatchObject({
      openrouter: '${ENV[OPENROUTERKEY]}',
      morpheus: '${ENV[MORPHEUS_API_KEY]}',
      heurist: '${ENV[HEURISTKEY]}',
      comput3: '${ENV[COMPUT3KEY]}',
      ionet: '${ENV[IOINTELLIGENCEKEY]}',
      libertai: '${ENV[LIBERTAI_API_KEY]}',
      anthropic: '${ENV[ANTHROPICKEY]}',
      google: '${ENV[GEMINIKEY]}',
      openai: '${ENV[OPENAIKEY]}',
    });
    expect(Object.keys(shipped.backends)).not.toContain('openrouter');
    expect(Object.keys(shipped.backends).length).toBeLessThan(Object.keys(release.backends).length);
    expect(shipped.lua_script_path).toBe('${exeDir}/../config/genvm-llm-default.lua');
    expect(release.lua_script_path).toBe('${exeDir}/../config/genvm-llm-default.lua');
    expect(files['docker-compose.yaml']).toMatch(/\.\/alloy-config\.river:/);
    expect(files['docker-compose.yaml']).toMatch(/\.\/alloy-healthcheck\.sh:/);
  });

  it('GenVM setup leaves bin/genvm and bin/genvm-modules; with setupIncomplete it exits 0 without them', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'glr-setup-'));
    try {
      for (const [name, incomplete] of [
        ['full', false],
        ['incomplete', true],
      ] as const) {
        const dir = path.join(base, name);
        mkdirSync(dir, { recursive: true });
        await pipeline(Readable.from(await buildRelease({ version: 'v0.5.10', setupMs: 10, setupIncomplete: incomplete })), tar.x({ cwd: dir, strip: 1 }));
        const r = spawnSync('python3', [path.join(dir, 'third_party/genvm/bin/setup.py')], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(existsSync(path.join(dir, 'third_party/genvm/.setup-done'))).toBe(true);
        for (const bin of ['genvm', 'genvm-modules']) expect(existsSync(path.join(dir, 'third_party/genvm/bin', bin)), `${name}: ${bin}`).toBe(!incomplete);
      }
    } finally {
      execFileSync('rm', ['-rf', '--', base]);
    }
  });
});

describe('a v0.5 host laid out by GenLayer’s procedure (default strategy)', () => {
  let host: SandboxHost;
  beforeAll(async () => {
    host = await SandboxHost.create({ server, running: 'v0.5.10' });
  });
  afterAll(async () => host?.cleanup());

  it('comes up healthy with the v0.5 health answer, every link into v0.5.10, the DB under v0.5/', async () => {
    const h = await host.health();
    expect(h?.status).toBe(200);
    expect(h?.body).toMatchObject({
      status: 'up',
      node_version: 'v0.5.10',
      genvm_version: expect.stringMatching(/^v\d/),
      network: 'testnet-asimov',
      checks: { validating: { status: 'up' }, 'zksync-connectivity': { status: 'up' } },
    });
    const checks = h!.body.checks as Record<string, Record<string, unknown>>;
    expect(checks).not.toHaveProperty('zksync');
    expect(checks.validating).not.toHaveProperty('timestamp');

    expect(host.links).toEqual([...GENLAYER_LINKS, 'alloy-healthcheck.sh']);
    expect(host.linkVersions()).toEqual(['v0.5.10']);
    for (const l of host.links) expect(lstatSync(path.join(host.root, l)).isSymbolicLink(), l).toBe(true);
    expect(existsSync(path.join(host.root, '.env.example'))).toBe(false);
    expect(host.db).toBe(path.join(host.root, 'v0.5/data/node/genlayer.db'));
    expect(readlinkSync(path.join(host.root, 'v0.5.10/data/node/genlayer.db'))).toBe(host.db);
    const config = parse(readFileSync(path.join(host.root, 'configs/node/config.yaml'), 'utf8')) as { node: { ops: { port: number } } };
    expect(config.node.ops.port).toBe(host.opsPort);
    expect(host.dbRecords().length).toBeGreaterThan(0);
  });

  it('/metrics: synced block, synced, blocks behind, latest block, labelled {node, network}', async () => {
    const text = await (await fetch(new URL('/metrics', host.healthUrl))).text();
    for (const name of ['genlayer_node_synced_block', 'genlayer_node_synced', 'genlayer_node_blocks_behind', 'genlayer_node_latest_block'])
      expect(text).toMatch(new RegExp(`^${name}\\{node="0x[0-9a-f]{40}",network="testnet-asimov"\\} \\d+$`, 'm'));
    await waitFor(async () => (await host.metrics())?.genlayer_node_synced === 1, { timeoutMs: 5000, what: 'synced = 1' });
    expect(await host.metrics()).toMatchObject({ genlayer_node_blocks_behind: 0 });
    expect(text).not.toMatch(/^genlayer_node_synced_block \d/m);
  });

  it('doctor: ✓ lines with the .env exported, ✗ without it, ✗ for missing GenVM binaries and forced failures; exit 0 every time', () => {
    const dir = path.join(host.root, 'v0.5.10');
    const env = { ...SANDBOX_ENV };
    const ok = doctor(dir, env);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^✓ GenLayer Chain RPC: /m);
    expect(ok.out).toMatch(/^✓ Validator Wallet Configuration: /m);
    expect(ok.out).toMatch(/^✓ GenVM Binaries: /m);
    expect(ok.out).toMatch(/^✓ WebDriver: /m);
    expect(ok.out).not.toMatch(/^✗/m);

    const bare = doctor(dir, {});
    expect(bare.code).toBe(0);
    expect(bare.out).toMatch(/^✗ Validator Wallet Configuration: NODE_PASSWORD is not set/m);

    const genvm = path.join(dir, 'third_party/genvm/bin/genvm');
    renameSync(genvm, `${genvm}.away`);
    try {
      const noBin = doctor(dir, env);
      expect(noBin.code).toBe(0);
      expect(noBin.out).toMatch(/^✗ GenVM Binaries: genvm not found/m);
    } finally {
      renameSync(`${genvm}.away`, genvm);
    }

    editSpec(host, 'v0.5.10', { doctorFails: ['webdriver', 'rpc'] });
    try {
      const forced = doctor(dir, env);
      expect(forced.code).toBe(0);
      expect(forced.out).toMatch(/^✗ WebDriver: /m);
      expect(forced.out).toMatch(/^✗ GenLayer Chain RPC: /m);
      expect(forced.out).toMatch(/^✓ GenVM Binaries: /m);
    } finally {
      editSpec(host, 'v0.5.10', { doctorFails: [] });
    }
    for (const s of SECRETS) expect(ok.out + bare.out).not.toContain(s);
  });

  it('a v0.5 node refuses a config carried blindly from v0.4 (contractmainaddress), as GenLayer’s upgrade notes warn', async () => {
    const cfg = path.join(host.root, 'v0.5.10/configs/node/config.yaml');
    const saved = readFileSync(cfg);
    writeFileSync(
      cfg,
      `node:\n  ops:\n    port: ${host.opsPort}\nrollup:\n  zksyncurl: https://zksync.example\nconsensus:\n  contractmainaddress: "0x1"\n  contractdataaddress: "0x2"\n`,
    );
    try {
      restart(host);
      await waitDead(host);
      expect(nodeOutput(host)).toMatch(/fatal: config\.yaml: unknown field consensus\.contractmainaddress \(v0\.5 uses consensus\.consensusaddress\)/);
    } finally {
      writeFileSync(cfg, saved);
    }
    expect(host.svc('start')).toBe(0);
    await host.waitHealthy('v0.5.10', 10_000);
  });

  it('the node accepts connections while it boots but answers nothing until its boot time has passed, then 503, then 200', async () => {
    editSpec(host, 'v0.5.10', { bootMs: 2500, syncMs: 400 });
    try {
      expect(host.svc('stop')).toBe(0);
      // stopped: nothing listens
      expect(await host.health()).toBeNull();
      expect(host.svc('start')).toBe(0);
      const started = Date.now();
      const sock = await waitForConnect(host.opsPort, 3000);
      const connectedAfter = Date.now() - started;
      const answer = new Promise<string>((resolve) => {
        let data = '';
        sock.on('data', (d) => {
          data += String(d);
          if (data.includes('\r\n\r\n')) resolve(data);
        });
        sock.on('close', () => resolve(data));
      });
      sock.write('GET /health HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n');
      const early = await Promise.race([answer, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
      expect(early, 'answered while booting').toBeNull();
      expect(connectedAfter).toBeLessThan(2000);
      // the held request is answered once the node has booted: syncing, 503
      const first = await answer;
      expect(first).toMatch(/^HTTP\/1\.1 503 /);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      sock.destroy();
      await host.waitHealthy('v0.5.10', 10_000);
    } finally {
      editSpec(host, 'v0.5.10', { bootMs: 150, syncMs: 150 });
    }
  });

  it('the synced block starts where the shared DB left off; with syncBehind it starts behind and stays there while healthy', async () => {
    await host.waitHealthy('v0.5.10', 10_000);
    const noted = (await host.metrics())!.genlayer_node_synced_block!;
    restart(host);
    await host.waitHealthy('v0.5.10', 10_000);
    const after = await host.metrics();
    expect(after!.genlayer_node_synced_block).toBeGreaterThanOrEqual(noted);
    expect(host.dbSyncedBlock()).toBeGreaterThanOrEqual(noted);

    const noted2 = (await host.metrics())!.genlayer_node_synced_block!;
    editSpec(host, 'v0.5.10', { syncBehind: 1000 });
    try {
      restart(host);
      await host.waitHealthy('v0.5.10', 10_000);
      const behind = (await host.metrics())!;
      expect(behind.genlayer_node_synced_block).toBeLessThan(noted2);
      expect(behind.genlayer_node_synced).toBe(0);
      // the chain moves on, the node does not catch up
      await waitFor(async () => (await host.metrics())!.genlayer_node_latest_block! >= behind.genlayer_node_latest_block! + 3, {
        timeoutMs: 5000,
        what: 'the chain head to move',
      });
      const later = (await host.metrics())!;
      expect(later.genlayer_node_synced_block).toBe(behind.genlayer_node_synced_block);
      expect(later.genlayer_node_blocks_behind).toBeGreaterThan(1000);
      expect(await host.healthyOn('v0.5.10')).toBe(true);
      // the shared DB's block never goes back
      expect(host.dbSyncedBlock()).toBeGreaterThanOrEqual(noted2);
    } finally {
      editSpec(host, 'v0.5.10', { syncBehind: 0 });
      restart(host);
      await host.waitHealthy('v0.5.10', 10_000);
    }
  });
});

describe('the greybox strategy', () => {
  let host: SandboxHost;
  beforeAll(async () => {
    host = await SandboxHost.create({ server, running: 'v0.5.10', strategy: 'greybox' });
  });
  afterAll(async () => host?.cleanup());

  it('a greybox host runs on the release LLM file and the greybox script; without OPENROUTERKEY the node refuses to start', async () => {
    const dir = path.join(host.root, 'v0.5.10');
    const llm = parse(readFileSync(path.join(dir, 'third_party/genvm/config/genvm-module-llm.yaml'), 'utf8')) as { lua_script_path: string; backends: object };
    expect(llm.lua_script_path).toBe('${exeDir}/../config/genvm-llm-greybox.lua');
    expect(Object.keys(llm.backends)).toEqual(expect.arrayContaining(['openrouter', 'morpheus']));
    expect(readFileSync(path.join(dir, '.env'), 'utf8')).toContain(`OPENROUTERKEY=${SANDBOX_OPENROUTERKEY}`);
    expect(await host.healthyOn('v0.5.10')).toBe(true);
    expect(readFileSync(path.join(dir, 'data/node/logs/node.log'), 'utf8')).toMatch(/greybox strategy/);

    setEnvLine(path.join(dir, '.env'), 'OPENROUTERKEY', null);
    try {
      restart(host);
      await waitDead(host);
      expect(nodeOutput(host)).toMatch(/fatal: genvm: llm module: the greybox strategy needs OPENROUTERKEY/);
      expect(await host.health()).toBeNull();
    } finally {
      setEnvLine(path.join(dir, '.env'), 'OPENROUTERKEY', SANDBOX_OPENROUTERKEY);
    }
    expect(host.svc('start')).toBe(0);
    await host.waitHealthy('v0.5.10', 10_000);
    expect(nodeOutput(host)).not.toContain(SANDBOX_OPENROUTERKEY);
  });

  it('a greybox host needs a release with the strategy files (v0.5.7+)', async () => {
    await expect(SandboxHost.create({ server, running: 'v0.5.6', strategy: 'greybox', start: false })).rejects.toThrow(
      /ships no genvm-modules-llm-release\.yaml/,
    );
    await expect(SandboxHost.create({ server, running: 'v0.4.3', strategy: 'greybox', start: false })).rejects.toThrow(/needs a v0\.5 host/);
  });
});

describe('the service script and NODE_PASSWORD (a v0.4 host)', () => {
  let host: SandboxHost;
  beforeAll(async () => {
    host = await SandboxHost.create({ server });
  });
  afterAll(async () => host?.cleanup());

  it('starts the node with the .env variables as its environment, as EnvironmentFile= does; without NODE_PASSWORD the node refuses to start', async () => {
    expect(SANDBOX_ENV.NODE_PASSWORD).toBeTruthy();
    expect(SECRETS).toContain(SANDBOX_ENV.NODE_PASSWORD);
    expect(SECRETS).toContain(SANDBOX_OPENROUTERKEY);
    const pid = Number(readFileSync(path.join(host.state, 'node.pid'), 'utf8'));
    // the node is `sh shim -> node fake-node.js`; the shim execs, so the pid is the node's
    const environ = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(environ).toMatchObject({ NODE_PASSWORD: SANDBOX_ENV.NODE_PASSWORD, HEURISTKEY: SANDBOX_ENV.HEURISTKEY });
    expect(environ).not.toHaveProperty('VITEST');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['run', '--password']));
    // the v0.4 shape answers as before
    const h = await host.health();
    expect(h?.body.checks).toMatchObject({ validating: { status: 'up', timestamp: expect.any(String) }, zksync: { status: 'up' } });

    const envFile = path.join(host.root, 'v0.4.3/.env');
    setEnvLine(envFile, 'NODE_PASSWORD', null);
    try {
      restart(host);
      await waitDead(host);
      expect(nodeOutput(host)).toMatch(/fatal: --password is empty: NODE_PASSWORD is not set/);
    } finally {
      setEnvLine(envFile, 'NODE_PASSWORD', SANDBOX_ENV.NODE_PASSWORD!);
    }
    expect(host.svc('start')).toBe(0);
    await host.waitHealthy('v0.4.3', 10_000);
    for (const s of SECRETS) expect(nodeOutput(host)).not.toContain(s);
  });

  it('a node whose GenVM binaries are missing refuses to start', async () => {
    const bin = path.join(host.root, 'v0.4.3/third_party/genvm/bin/genvm-modules');
    renameSync(bin, `${bin}.away`);
    try {
      restart(host);
      await waitDead(host);
      expect(nodeOutput(host)).toMatch(/fatal: genvm: third_party\/genvm\/bin\/genvm-modules not found/);
    } finally {
      renameSync(`${bin}.away`, bin);
    }
    expect(host.svc('start')).toBe(0);
    await host.waitHealthy('v0.4.3', 10_000);
  });

  it('the hook recorder records argv, cwd, GLR_* and the names of exported .env variables; --exit makes it fail', () => {
    const env = { PATH: process.env.PATH ?? '', GLR_OUTCOME: 'switched', GLR_VERSION: 'v0.4.5', GLR_FROM: 'v0.4.3', NODE_PASSWORD: 'x', HEURISTKEY: 'y' };
    const [cmd, ...args] = host.hook('post', { args: ['docker', 'restart', 'genlayer-node-alloy'] });
    expect(spawnSync(cmd!, args, { env, cwd: host.root }).status).toBe(0);
    const [cmd2, ...args2] = host.hook('post', { exit: 3 });
    expect(spawnSync(cmd2!, args2, { env: { PATH: env.PATH, GLR_OUTCOME: 'rolled-back' } }).status).toBe(3);
    const calls = host.hookCalls('post');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      argv: ['docker', 'restart', 'genlayer-node-alloy'],
      cwd: host.root,
      env: { GLR_OUTCOME: 'switched', GLR_VERSION: 'v0.4.5', GLR_FROM: 'v0.4.3' },
      dotenv: ['HEURISTKEY', 'NODE_PASSWORD'],
    });
    expect(calls[1]).toMatchObject({ argv: ['post'], env: { GLR_OUTCOME: 'rolled-back' }, dotenv: [] });
    expect(host.hookCalls('pre')).toEqual([]);
  });
});

async function waitForConnect(port: number, timeoutMs: number): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sock = await new Promise<net.Socket | null>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (sock) return sock;
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
