/**
 * A sandbox validator host in a temporary folder, laid out exactly as the operators' runbook
 * leaves one: `{root}/v0.4.3/` prepared by hand, the six links pointing straight into it, the
 * shared DB under `{root}/v0.4/`, and the node running under a `command` service manager.
 *
 * A v0.5 host (`running: 'v0.5.10'`) is laid out by GenLayer's current procedure instead: config.yaml
 * made from the release's config.yaml.example, the eight links (the runbook's six plus
 * alloy-config.river and genvm-module-web-docker.yaml, and alloy-healthcheck.sh when the release
 * ships it), the shared DB under `{root}/v0.5/`, and with `strategy: 'greybox'` the release LLM
 * file installed with the greybox script and OPENROUTERKEY in .env.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { buildRelease, defaultShape, RECORD_JS, SVC_JS, type ReleaseOptions } from './releases.js';
import { LUA_DEFAULT, LUA_GREYBOX } from './release-files.js';
import type { RecordedCall } from './record.js';
import type { UnitSpec } from './machine.js';
import type { ReleaseServer } from './release-server.js';
import { waitFor } from './proc.js';
import { killStarted, serviceEvents, type ServiceEvent } from './service-state.js';
import { SYNCED_BLOCK_FILE } from './chain.js';

export { RUNBOOK_LINKS } from '../src/layout.js';
export { waitFor } from './proc.js';
import { RUNBOOK_LINKS } from '../src/layout.js';
/** GenLayer's own procedure (v0.5) links two more; alloy-healthcheck.sh too where the release has it (v0.5.7+) */
export const GENLAYER_LINKS = [...RUNBOOK_LINKS, 'alloy-config.river', 'genvm-module-web-docker.yaml'];

/** The sandbox's secrets: tests scan every output for them. */
export const SANDBOX_ENV: Record<string, string> = {
  HEURISTKEY: 'hk-sandbox-7f3a9c1e5b2d4f60',
  OPENAIKEY: 'sk-sandbox-openai-91b7c3d5e8f2a406',
  ANTHROPICKEY: '',
  VALIDATOR_PASSWORD: 'pw-sandbox-5c8e1a9b3d7f2046',
  NODE_PASSWORD: 'np-sandbox-3e7b0d9a1c5f8246',
};
/** the OpenRouter key a greybox host's .env gets */
export const SANDBOX_OPENROUTERKEY = 'sk-or-sandbox-6d2a8f4c0e1b9357';
export const SANDBOX_KEYSTORE = '{"address":"5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","crypto":{"ciphertext":"ks-sandbox-c1ph3rt3xt-8d2f6a0e4b9c7153"}}';
/** Every secret value a sandbox host can hold (.env values, the OpenRouter key, the keystore) */
export const SANDBOX_SECRETS = [
  ...Object.values(SANDBOX_ENV).filter((v) => v.length > 0),
  SANDBOX_OPENROUTERKEY,
  SANDBOX_KEYSTORE,
  'ks-sandbox-c1ph3rt3xt-8d2f6a0e4b9c7153',
];
/** the validator wallet a v0.5 host's config.yaml names (the operator is the keystore's address) */
export const SANDBOX_VALIDATOR_WALLET = '0x51a0c0ffee000000000000000000000000000001';

export interface HostOptions {
  server: ReleaseServer;
  /** the version the runbook installed and that runs (default v0.4.3; v0.5.x lays out a v0.5 host) */
  running?: string;
  release?: Partial<ReleaseOptions>;
  /**
   * the .env (default SANDBOX_ENV); NODE_PASSWORD (and OPENROUTERKEY on a greybox host) are
   * added from the sandbox's when it does not name them (give NODE_PASSWORD: '' for none)
   */
  env?: Record<string, string>;
  /**
   * v0.5.7+ hosts: 'greybox' installs the release LLM file (genvm-modules-llm-release.yaml) with
   * lua_script_path on the greybox script, and puts OPENROUTERKEY in .env; 'default' (the
   * default) keeps the release's genvm-module-llm.yaml as shipped
   */
  strategy?: 'default' | 'greybox';
  /**
   * v0.5 hosts: which LLM file the operator runs: 'shipped' (the release's genvm-module-llm.yaml
   * as it is) or 'release' (genvm-modules-llm-release.yaml copied over it, as GenLayer's install
   * procedure does); default 'shipped', 'release' with strategy greybox
   */
  llmFile?: 'shipped' | 'release';
  /** start the node and wait until it is healthy (default true) */
  start?: boolean;
  /** parent folder for the sandbox (default the OS temp folder) */
  parent?: string;
}

export interface DesiredOptions {
  version: string;
  providers?: Record<string, boolean> | null;
  timeoutSeconds?: number;
  running?: boolean;
  sha256?: string;
  /** extra top-level YAML appended verbatim */
  extra?: string;
  root?: string;
  /** llm.strategy */
  strategy?: 'default' | 'greybox';
  /** preflight.doctor */
  doctor?: boolean;
  /** hooks.preSwitch / hooks.postSwitch (argv lists; see SandboxHost.hook) */
  hooks?: { preSwitch?: string[][]; postSwitch?: string[][] };
  /** configFile */
  configFile?: string;
  /** `manager: systemd` with this unit instead of the sandbox's command manager (for a fake systemctl on PATH) */
  systemdUnit?: string;
  /** preflight.webdriver; default null (the sandbox runs no Docker unless a test gives it a fake one) */
  webdriver?: string | null;
  /** telemetry.alloy; default container null (no telemetry check) */
  alloy?: { container: string | null; logPath?: string };
  /** network: */
  network?: string;
  /** manager command: service.user, service.group, service.environmentFiles */
  runAs?: { user?: string; group?: string; environmentFiles?: string[] };
  /** sharedDb */
  sharedDb?: string;
  /** envFile */
  envFile?: string;
  /** health.progressSeconds */
  progressSeconds?: number;
  /** snapshots.* */
  snapshots?: { beforeSwitch?: boolean; keep?: number; restoreOnRollback?: boolean };
}

export class SandboxHost {
  readonly root: string;
  readonly state: string;
  readonly db: string;
  readonly file: string;
  readonly healthUrl: string;
  /** the top-level links the runbook (v0.4) or GenLayer's procedure (v0.5) made on this host */
  links: string[] = [...RUNBOOK_LINKS];

  private constructor(
    readonly dir: string,
    readonly opsPort: number,
    readonly server: ReleaseServer,
    /** the version laid out by hand when the host was built */
    readonly installed: string,
  ) {
    this.root = path.join(dir, 'opt/genlayer-node');
    this.state = path.join(dir, 'state');
    this.db = path.join(this.root, `${series(installed)}/data/node/genlayer.db`);
    this.file = path.join(dir, 'desired-state.yaml');
    this.healthUrl = `http://127.0.0.1:${opsPort}/health`;
  }

  /** The shared DB of a series (vX.Y) on this host. */
  sharedDb(version: string): string {
    return path.join(this.root, `${series(version)}/data/node/genlayer.db`);
  }

  /**
   * `status` as a shell script, as cheap as `systemctl show` (a Node process would add ~50 ms
   * to every status call): exit 0 while the node in node.pid runs (a zombie does not), else 3.
   */
  get statusScript(): string {
    return path.join(this.state, 'status.sh');
  }

  static async create(o: HostOptions): Promise<SandboxHost> {
    const version = o.running ?? 'v0.4.3';
    const shape = o.release?.shape ?? defaultShape(version);
    if (o.strategy === 'greybox' && shape !== 'v0.5') throw new Error(`strategy greybox needs a v0.5 host (${version} has the ${shape} shape)`);
    const dir = realpathSync(mkdtempSync(path.join(o.parent ?? os.tmpdir(), 'glr-host-')));
    const host = new SandboxHost(dir, await freePort(), o.server, version);
    mkdirSync(host.state, { recursive: true });
    writeFileSync(
      host.statusScript,
      '#!/bin/sh\n# exit 0 while the sandbox node runs\npid=$(cat "$1/node.pid" 2>/dev/null) || exit 3\n[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || exit 3\ngrep -q ") Z " "/proc/$pid/stat" && exit 3\nexit 0\n',
      { mode: 0o755 },
    );
    mkdirSync(host.db, { recursive: true });
    const tarball = await buildRelease({ version, ...o.release });
    o.server.add(version, tarball);
    const env = { ...(o.env ?? SANDBOX_ENV) };
    if (!('NODE_PASSWORD' in env)) env.NODE_PASSWORD = SANDBOX_ENV.NODE_PASSWORD!;
    if (o.strategy === 'greybox' && !('OPENROUTERKEY' in env)) env.OPENROUTERKEY = SANDBOX_OPENROUTERKEY;
    try {
      if (shape === 'v0.5')
        await host.installByGenLayer(version, tarball, env, o.strategy ?? 'default', o.llmFile ?? (o.strategy === 'greybox' ? 'release' : 'shipped'));
      else await host.installByRunbook(version, tarball, env);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    if (o.start ?? true) {
      host.svc('start');
      try {
        await host.waitHealthy(version, 15_000);
      } catch (e) {
        const out = existsSync(path.join(host.state, 'node-output.log'))
          ? readFileSync(path.join(host.state, 'node-output.log'), 'utf8').trim().split('\n').at(-1)
          : '';
        await host.cleanup();
        throw new Error(`${(e as Error).message}${out ? ` (node: ${out})` : ''}`);
      }
    }
    return host;
  }

  /** The runbook's Phase 1 and switch, by hand, for the first version. */
  private async installByRunbook(version: string, tarball: Buffer, env: Record<string, string>): Promise<void> {
    const dir = path.join(this.root, version);
    mkdirSync(dir, { recursive: true });
    await pipeline(Readable.from(tarball), tar.x({ cwd: dir, strip: 1 }));
    execFileSync('python3', [path.join(dir, 'third_party/genvm/bin/setup.py')], { stdio: 'ignore' });
    writeFileSync(
      path.join(dir, 'configs/node/config.yaml'),
      `# operator's config\nnode:\n  ops:\n    port: ${this.opsPort}\n  rpc:\n    port: 9151\nrollup:\n  zksyncurl: https://zksync.example\n` +
        // v0.4's two consensus contracts (v0.5.0 replaced them with consensusaddress: a v0.5 node refuses this config)
        'consensus:\n  contractmainaddress: "0xb7278A61aa25c888815aFC32Ad3cC52fF24fE575"\n  contractdataaddress: "0x88B0F18613Db92Bf970FfE264E02496e20a74D16"\n',
    );
    writeEnv(path.join(dir, '.env'), env);
    this.dataAndKeystore(dir);
    for (const name of RUNBOOK_LINKS) symlinkSync(path.join(dir, name), path.join(this.root, name));
  }

  /**
   * GenLayer's v0.5 procedure (genlayerlabs/skills install-procedure.md and common-procedures.md)
   * for the first version: extract, GenVM setup, .env, config.yaml from config.yaml.example, the
   * LLM strategy, the shared DB link, the keystore, then the links.
   */
  private async installByGenLayer(
    version: string,
    tarball: Buffer,
    env: Record<string, string>,
    strategy: 'default' | 'greybox',
    llmFile: 'shipped' | 'release',
  ): Promise<void> {
    const dir = path.join(this.root, version);
    mkdirSync(dir, { recursive: true });
    await pipeline(Readable.from(tarball), tar.x({ cwd: dir, strip: 1 }));
    execFileSync('python3', [path.join(dir, 'third_party/genvm/bin/setup.py')], { stdio: 'ignore' });
    writeEnv(path.join(dir, '.env'), env);
    const example = readFileSync(path.join(dir, 'configs/node/config.yaml.example'), 'utf8');
    writeFileSync(
      path.join(dir, 'configs/node/config.yaml'),
      example
        .replace(/genlayerchainrpcurl: "[^"]*"/, 'genlayerchainrpcurl: "https://zksync.example/rpc"')
        .replace(/genlayerchainwebsocketurl: "[^"]*"/, 'genlayerchainwebsocketurl: "wss://zksync.example/ws"')
        .replace(/validatorWalletAddress: ""/, `validatorWalletAddress: "${SANDBOX_VALIDATOR_WALLET}"`)
        .replace(/operatorAddress: ""/, 'operatorAddress: "0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c"')
        .replace(/( {2}ops:\n {4}port:) 9153/, `$1 ${this.opsPort}`),
    );
    if (strategy === 'greybox' && llmFile !== 'release') throw new Error('strategy greybox runs on the release LLM file (llmFile: release)');
    if (llmFile === 'release') {
      const config = path.join(dir, 'third_party/genvm/config');
      const release = path.join(config, 'genvm-modules-llm-release.yaml');
      if (!existsSync(release))
        throw new Error(
          `llmFile release${strategy === 'greybox' ? ' (strategy greybox)' : ''}: ${version} ships no genvm-modules-llm-release.yaml (v0.5.7+ do)`,
        );
      const text = readFileSync(release, 'utf8');
      // GenLayer's procedure: cp the release file over genvm-module-llm.yaml; for greybox, sed the script name
      writeFileSync(path.join(config, 'genvm-module-llm.yaml'), strategy === 'greybox' ? text.replaceAll(LUA_DEFAULT, LUA_GREYBOX) : text);
    }
    this.dataAndKeystore(dir);
    this.links = [...GENLAYER_LINKS, ...(existsSync(path.join(dir, 'alloy-healthcheck.sh')) ? ['alloy-healthcheck.sh'] : [])];
    for (const name of this.links) symlinkSync(path.join(dir, name), path.join(this.root, name));
  }

  /** data/node with the shared DB link and the keystore (600 files in a 700 folder) */
  private dataAndKeystore(dir: string): void {
    mkdirSync(path.join(dir, 'data/node'), { recursive: true });
    symlinkSync(this.db, path.join(dir, 'data/node/genlayer.db'));
    const keystore = path.join(dir, 'data/node/keystore');
    mkdirSync(keystore, { mode: 0o700 });
    writeFileSync(path.join(keystore, 'UTC--2025-06-01T10-00-00.000000000Z--5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c'), SANDBOX_KEYSTORE, { mode: 0o600 });
  }

  /**
   * A hook for desired-state.yaml that records each run (argv, cwd, GLR_* variables, the names of
   * the .env variables it saw exported) in the state folder; `exit` makes it fail. Read the runs
   * with hookCalls(name).
   */
  hook(name: string, o: { exit?: number; args?: string[] } = {}): string[] {
    return [process.execPath, RECORD_JS, path.join(this.state, `hook-${name}.jsonl`), ...(o.exit ? ['--exit', String(o.exit)] : []), ...(o.args ?? [name])];
  }

  hookCalls(name: string): RecordedCall[] {
    const f = path.join(this.state, `hook-${name}.jsonl`);
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RecordedCall);
  }

  /** The block the shared DB of `version`'s series last reached (as the nodes keep it), or null. */
  dbSyncedBlock(version = this.installed): number | null {
    try {
      return Number(readFileSync(path.join(this.sharedDb(version), SYNCED_BLOCK_FILE), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  /** `genlayer_node_synced_block` (and the rest) from the running node's /metrics, or null. */
  async metrics(): Promise<Record<string, number> | null> {
    try {
      const res = await fetch(new URL('/metrics', this.healthUrl), { signal: AbortSignal.timeout(1000) });
      const out: Record<string, number> = {};
      for (const m of (await res.text()).matchAll(/^(genlayer_node_\w+)(?:\{[^}]*\})?\s+(\S+)$/gm)) out[m[1]!] = Number(m[2]);
      return out;
    } catch {
      return null;
    }
  }

  /** desired-state.yaml for this host, as an operator would write it */
  desiredYaml(o: DesiredOptions): string {
    const argv = (verb: string) =>
      verb === 'status'
        ? JSON.stringify(['/bin/sh', this.statusScript, this.state])
        : JSON.stringify([process.execPath, SVC_JS, verb, '--root', this.root, '--state', this.state]);
    const providers = o.providers === undefined ? { openai: true } : o.providers;
    return [
      '# sandbox validator host',
      `version: ${o.version}`,
      `root: ${o.root ?? this.root}`,
      'release:',
      `  url: ${this.server.urlTemplate}`,
      ...(o.sha256 ? [`  sha256: ${o.sha256}`] : []),
      ...(o.configFile ? [`configFile: ${JSON.stringify(o.configFile)}`] : []),
      ...(o.sharedDb ? [`sharedDb: ${JSON.stringify(o.sharedDb)}`] : []),
      ...(o.envFile ? [`envFile: ${JSON.stringify(o.envFile)}`] : []),
      ...(o.snapshots ? ['snapshots:', ...Object.entries(o.snapshots).map(([k, v]) => `  ${k}: ${v}`)] : []),
      ...((providers && Object.keys(providers).length) || o.strategy
        ? [
            'llm:',
            ...(o.strategy ? [`  strategy: ${o.strategy}`] : []),
            ...(providers && Object.keys(providers).length ? ['  providers:', ...Object.entries(providers).map(([k, v]) => `    ${k}: ${v}`)] : []),
          ]
        : []),
      'service:',
      `  running: ${o.running ?? true}`,
      ...(o.systemdUnit
        ? ['  manager: systemd', `  unit: ${o.systemdUnit}`]
        : ['  manager: command', `  start: ${argv('start')}`, `  stop: ${argv('stop')}`, `  status: ${argv('status')}`]),
      ...(o.runAs?.user ? [`  user: ${o.runAs.user}`] : []),
      ...(o.runAs?.group ? [`  group: ${o.runAs.group}`] : []),
      ...(o.runAs?.environmentFiles ? [`  environmentFiles: ${JSON.stringify(o.runAs.environmentFiles)}`] : []),
      'health:',
      `  url: ${this.healthUrl}`,
      `  timeoutSeconds: ${o.timeoutSeconds ?? 10}`,
      ...(o.progressSeconds !== undefined ? [`  progressSeconds: ${o.progressSeconds}`] : []),
      'preflight:',
      ...(o.doctor !== undefined ? [`  doctor: ${o.doctor}`] : []),
      `  webdriver: ${o.webdriver ?? 'null'}`,
      'telemetry:',
      '  alloy:',
      `    container: ${o.alloy?.container ?? 'null'}`,
      ...(o.alloy?.logPath ? [`    logPath: ${o.alloy.logPath}`] : []),
      ...(o.network ? [`network: ${o.network}`] : []),
      ...(o.hooks
        ? [
            'hooks:',
            ...(['preSwitch', 'postSwitch'] as const)
              .filter((k) => o.hooks![k])
              .flatMap((k) => (o.hooks![k]!.length ? [`  ${k}:`, ...o.hooks![k]!.map((argv) => `    - ${JSON.stringify(argv)}`)] : [`  ${k}: []`])),
          ]
        : []),
      ...(o.extra ? [o.extra] : []),
      '',
    ].join('\n');
  }

  writeDesired(o: DesiredOptions, file = this.file): string {
    writeFileSync(file, this.desiredYaml(o));
    return file;
  }

  /**
   * GenLayer's systemd unit for this host (common-procedures.md, "Systemd Service"): the node
   * through the root's links, the root's .env, the password from it. For a FakeMachine.
   */
  unitSpec(over: Partial<UnitSpec> = {}): UnitSpec {
    return {
      workingDirectory: this.root,
      environmentFiles: [path.join(this.root, '.env')],
      execStart: `${path.join(this.root, 'bin/genlayernode')} run --password \${NODE_PASSWORD}`,
      ...over,
    };
  }

  /** Runs the sandbox service manager; returns its exit code. */
  svc(verb: 'start' | 'stop' | 'status'): number {
    try {
      execFileSync(process.execPath, [SVC_JS, verb, '--root', this.root, '--state', this.state], { stdio: 'ignore' });
      return 0;
    } catch (e) {
      return (e as { status?: number }).status ?? 1;
    }
  }

  async health(): Promise<{ status: number; body: Record<string, unknown> } | null> {
    try {
      const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(1000) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } catch {
      return null;
    }
  }

  async healthyOn(version: string): Promise<boolean> {
    const h = await this.health();
    const checks = h?.body.checks as { validating?: { status?: string } } | undefined;
    return h?.status === 200 && h.body.node_version === version && checks?.validating?.status === 'up';
  }

  async waitHealthy(version: string, timeoutMs: number): Promise<void> {
    await waitFor(() => this.healthyOn(version), { timeoutMs, what: `the sandbox node to be healthy on ${version}` });
  }

  /** Where each switch link resolves, relative to the root (default: the links this host was laid out with). */
  linkTargets(names = this.links): Record<string, string | null> {
    const real = realpathSync(this.root);
    return Object.fromEntries(
      names.map((n) => {
        try {
          return [n, path.relative(real, realpathSync(path.join(this.root, n)))];
        } catch {
          return [n, null];
        }
      }),
    );
  }

  /** The versions the host's links resolve into (one element when they agree). */
  linkVersions(): string[] {
    return [...new Set(Object.values(this.linkTargets()).map((t) => (t ? t.split('/')[0]! : 'dangling')))];
  }

  /** svc.js's own record of the starts and stops of the node, in order. */
  serviceEvents(): ServiceEvent[] {
    return serviceEvents(path.join(this.state, 'events.log'));
  }

  /** How many times svc.js started (or stopped) a node. */
  serviceCount(verb: ServiceEvent['verb']): number {
    return this.serviceEvents().filter((e) => e.verb === verb).length;
  }

  /** Records the nodes wrote to a DB (default: the shared DB of the version the host was laid out with): `seq pid version`. */
  dbRecords(db = this.db): { seq: number; pid: number; version: string }[] {
    const f = path.join(db, 'writes.log');
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [seq, pid, version] = l.split(' ');
        return { seq: Number(seq), pid: Number(pid), version: version! };
      });
  }

  /** Lines the fake node wrote when it found another node on the same DB. */
  doubleRuns(): string[] {
    const f = path.join(this.db, 'DOUBLE_RUN.log');
    return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : [];
  }

  /** Every file, folder and link under the root: name, type, mode, link target, size. */
  tree(): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      const p = path.join(this.root, rel);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${rel} link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${rel} dir ${mode}`);
        // the running node's own files change by themselves; glr's promise is about the rest
        if (rel.endsWith('data/node/logs')) return;
        // the running node's DB changes by itself too (its files come and go between the listing and the lstat)
        if (/^v\d+\.\d+\/data\/node\/genlayer\.db$/.test(rel)) return;
        for (const e of readdirSync(p).sort()) walk(path.join(rel, e));
      } else out.push(`${rel} file ${mode} ${rel.includes('genlayer.db') || rel.endsWith('node.log') ? '' : st.size}`);
    };
    walk('.');
    return out.filter((l) => !/^v\d+\.\d+\/data\/node\/genlayer\.db\//.test(l));
  }

  /** Stops every node this sandbox ever started. */
  async stopNodes(): Promise<void> {
    await killStarted(path.join(this.state, 'pids.log'), 'sandbox nodes to exit');
  }

  /** Stops every node this sandbox ever started and deletes the sandbox. */
  async cleanup(): Promise<void> {
    await this.stopNodes();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** vMAJOR.MINOR of a version */
export function series(version: string): string {
  const m = /^v(\d+)\.(\d+)\./.exec(version);
  if (!m) throw new Error(`not a version: ${version}`);
  return `v${m[1]}.${m[2]}`;
}

/** An environment file as an operator writes one: KEY=VALUE lines, mode 600. */
export function writeEnv(file: string, env: Record<string, string>): void {
  writeFileSync(
    file,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
