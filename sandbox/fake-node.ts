/**
 * A stand-in for `genlayernode` that behaves, where glr can tell, like the real one:
 *
 * `genlayernode [run] [--password PW]` (the service starts it as GenLayer's systemd unit does:
 * `run --password ${NODE_PASSWORD}`, with the .env variables in its environment):
 * - refuses to start (fatal, exit 1: a crash loop under a service manager) without
 *   config.yaml, .env, a keystore, the DB link, a password, a finished GenVM setup (its marker
 *   and bin/genvm, bin/genvm-modules), or when GenVM would have no enabled LLM backend with a
 *   key; v0.5 also when config.yaml still has v0.4's consensus fields, when lua_script_path
 *   names a script that is not there, or names the greybox script without OPENROUTERKEY;
 * - at start reads its release files (everything under bin/ and third_party/genvm/, as a real
 *   node maps its binaries and GenVM modules), so a cold page cache makes the start slower;
 * - listens on the ops port of its config.yaml at once, but answers nothing until its boot time
 *   has passed (the connection is accepted and held), then 503 while it syncs, then 200 on GET
 *   /health, in the real node's shape (v0.4: `zksync` check with timestamps; v0.5:
 *   `zksync-connectivity`, `genvm_version`, `network`, no timestamps). What it does with
 *   connections while it boots can be set (`early`): refuse them (it listens only once booted),
 *   answer 503 at once, never answer the requests that came while it booted, or answer each of
 *   them only after a delay;
 * - /metrics: genlayer_node_synced_block, _synced, _blocks_behind, _latest_block labelled
 *   {node="0x…"} (and network="…" from v0.5.3). The chain head moves with the wall clock (one
 *   block per 100 ms); the synced block starts where the shared DB left off (the DB folder keeps
 *   the last synced block in `synced-block`; a fresh DB starts at config.yaml's
 *   consensus.genesis, else 0: a sync from genesis), catches up with the head over `syncMs`
 *   while syncing (503, `status: down`, validating down "node is not synced") and then
 *   follows it. `syncBehind: N` starts it N blocks behind the DB's block and keeps it there;
 *   `stallAfterMs` stops the sync that long after boot (it never catches up);
 * - the DB's format (`FORMAT` in the DB folder, 1 when absent): a release of a newer `dbFormat`
 *   migrates it at start, and an older one refuses to start on it (fatal, a crash loop);
 * - POST /snapshot from v0.5.11 (GenLayer's ops/snapshot.mdx): `Authorization: Bearer TOKEN` or
 *   `X-Admin-Auth: TOKEN` must be GENLAYERNODE_NODE_OPERATOR_TOKEN as the node read it at start
 *   (401 otherwise, and always when it is unset); `{"destDir": ABS}` must be absolute and not
 *   exist (400); the DB is copied there at the current block (204), the node running on;
 * - appends numbered records to the shared DB while it runs, and records it when it finds another
 *   instance running on the same DB (the double-signing case glr must never cause);
 * - takes a little time to stop on SIGTERM.
 *
 * `genlayernode doctor` (run with the .env variables exported): ✓/✗ lines for the chain RPC,
 * the validator wallet (keystore, NODE_PASSWORD), GenVM's binaries and the WebDriver; always
 * exits 0, as the real one does. `genlayernode version` is answered by the shim itself, without
 * this script (sandbox/releases.ts: what the real one prints, as fast as a Go binary prints it).
 *
 * Run by the release's bin/genlayernode shim as: node fake-node.js <path the shim was run as> ARGS.
 * Its behaviour comes from bin/fake-node.json in the release (version, mode, timings...).
 */
import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { parse } from 'yaml';
import { BLOCK_MS, chainHead, SYNCED_BLOCK_FILE, versionAtLeast } from './chain.js';
import { isAlive } from './proc.js';

export interface FakeNodeSpec {
  version: string;
  /** ok: healthy after boot + sync; die-on-start: exits at once; unhealthy: 503 forever; die-after-boot: exits once it answers */
  mode: 'ok' | 'die-on-start' | 'unhealthy' | 'die-after-boot';
  bootMs: number;
  syncMs: number;
  stopMs: number;
  /** ms between two DB records */
  writeEveryMs: number;
  /** the release's shape (absent in releases built before shapes: v0.4) */
  shape?: 'v0.4' | 'v0.5';
  /** start this many blocks behind the shared DB's block and stay there */
  syncBehind?: number;
  /** doctor checks that print ✗ whatever the host is like */
  doctorFails?: string[];
  network?: string;
  /** serve no /metrics (404) */
  noMetrics?: boolean;
  /**
   * the consensus protocol the release speaks, as `genlayernode version` prints it on its
   * `Protocol:` line and /health as `protocol_version` (e.g. `v0.4:1dd08066`)
   */
  protocol: string;
  /**
   * `genlayernode version` is not a command of this release (it exits 2, as an unknown command).
   * Where it is one, the release's shim answers it (sandbox/releases.ts), not this script.
   */
  noVersionCommand?: boolean;
  /** the sync stops this long after boot (the synced block stands still while the chain moves on) */
  stallAfterMs?: number;
  /**
   * the DB format this release writes (default 1): it migrates an older DB at start (the
   * format is kept in the DB's FORMAT file), and refuses to start on a newer one
   */
  dbFormat?: number;
  /**
   * what it does with connections while it boots (before its boot time has passed): `hold`
   * (accept, answer once booted: the default), `refuse` (listen only once booted), `503` (answer
   * 503 at once), `never` (accept, and never answer the requests that came while booting),
   * `late` (answer each `lateMs` after it came, as things are then)
   */
  early?: { connections: 'hold' | 'refuse' | '503' | 'never' | 'late'; lateMs?: number };
}

const GENVM_VERSION = 'v0.2.11';

const shimPath = process.argv[2] ?? '';
const binDir = path.dirname(realpathSync(shimPath));
const home = path.dirname(binDir);
const spec = JSON.parse(readFileSync(path.join(binDir, 'fake-node.json'), 'utf8')) as FakeNodeSpec;
const shape = spec.shape ?? 'v0.4';
const logFile = path.join(home, 'data/node/logs/node.log');

function log(line: string): void {
  try {
    mkdirSync(path.dirname(logFile), { recursive: true });
    appendFileSync(logFile, `${new Date().toISOString()} [${spec.version} pid ${process.pid}] ${line}\n`);
  } catch {
    // the log is best effort, as a real node's is when its disk is gone
  }
}

function fatal(reason: string): never {
  log(`fatal: ${reason}`);
  process.stderr.write(`genlayernode: fatal: ${reason}\n`);
  process.exit(1);
}

interface Config {
  node?: { ops?: { port?: number }; validatorWalletAddress?: string; id?: string };
  rollup?: { genlayerchainrpcurl?: string; genlayerchainwebsocketurl?: string; zksyncurl?: string };
  consensus?: Record<string, unknown>;
}

function readConfig(): Config | null {
  const config = path.join(home, 'configs/node/config.yaml');
  if (!existsSync(config)) return null;
  return (parse(readFileSync(config, 'utf8')) ?? {}) as Config;
}

function keystoreAddress(): string | null {
  const dir = path.join(home, 'data/node/keystore');
  try {
    const f = readdirSync(dir).find((n) => n.startsWith('UTC--'));
    return f ? `0x${f.split('--').at(-1)}` : null;
  } catch {
    return null;
  }
}

function genvmBinariesMissing(): string[] {
  return ['genvm', 'genvm-modules'].filter((n) => !existsSync(path.join(home, 'third_party/genvm/bin', n)));
}

interface LlmConfig {
  lua_script_path?: string;
  backends?: Record<string, { enabled?: boolean; key?: string }>;
}

function preflight(password: string): { port: number; db: string; nodeId: string } {
  const config = readConfig();
  if (!config) fatal(`config file not found: ${path.join(home, 'configs/node/config.yaml')}`);
  const port = Number(config.node?.ops?.port);
  if (!Number.isInteger(port)) fatal('config.yaml: node.ops.port is not set');
  if (shape === 'v0.5') {
    const old = ['contractmainaddress', 'contractdataaddress'].filter((k) => config.consensus && k in config.consensus);
    if (old.length)
      fatal(`config.yaml: unknown field consensus.${old[0]} (v0.5 uses consensus.consensusaddress): reconfigure from configs/node/config.yaml.example`);
    if (!config.consensus?.consensusaddress) fatal('config.yaml: consensus.consensusaddress is not set');
  }
  const envFile = path.join(home, '.env');
  if (!existsSync(envFile)) fatal('.env not found');
  if (!password) fatal('--password is empty: NODE_PASSWORD is not set, the keystore cannot be unlocked');
  const keystore = keystoreAddress();
  if (!keystore) fatal('no key in data/node/keystore');
  const dbLink = path.join(home, 'data/node/genlayer.db');
  let db: string;
  try {
    db = realpathSync(dbLink);
  } catch {
    fatal(`database not found at ${dbLink}`);
  }
  if (!existsSync(path.join(home, 'third_party/genvm/.setup-done'))) fatal('GenVM is not set up (run third_party/genvm/bin/setup.py)');
  const missing = genvmBinariesMissing();
  if (missing.length)
    fatal(`genvm: ${missing.map((n) => `third_party/genvm/bin/${n}`).join(' and ')} not found: GenVM setup did not finish (run setup.py again)`);

  // GenVM: backends whose key is empty are switched off; with none left the LLM module fails.
  // It reads the keys from the node's environment (`${ENV[NAME]}`), from whichever file the
  // service loaded them.
  const llmFile = path.join(home, 'third_party/genvm/config/genvm-module-llm.yaml');
  const llm = (parse(readFileSync(llmFile, 'utf8')) ?? {}) as LlmConfig;
  const names = new Set(Object.entries(process.env).flatMap(([k, v]) => (v ? [k] : [])));
  const script = String(llm.lua_script_path ?? '');
  const greybox = script.includes('genvm-llm-greybox.lua');
  if (shape === 'v0.5' && script) {
    const resolved = path.resolve(script.replace('${exeDir}', path.join(home, 'third_party/genvm/bin')));
    if (!existsSync(resolved)) fatal(`genvm: llm module: lua_script_path ${script}: no such file; module_failed_to_start`);
  }
  if (greybox) {
    if (!names.has('OPENROUTERKEY')) fatal('genvm: llm module: the greybox strategy needs OPENROUTERKEY (its primary is openrouter); module_failed_to_start');
    if (llm.backends?.openrouter?.enabled === false)
      fatal('genvm: llm module: the greybox strategy needs the openrouter backend enabled; module_failed_to_start');
  }
  const usable = Object.entries(llm.backends ?? {}).filter(([, b]) => {
    if (b.enabled === false) return false;
    const ref = /^\$\{ENV\[(\w+)\]\}$/.exec(String(b.key ?? ''));
    return ref ? names.has(ref[1]!) : Boolean(b.key);
  });
  if (usable.length === 0) fatal('genvm: llm module: no enabled backend with a key; module failed');
  log(`genvm llm: ${greybox ? 'greybox' : 'default'} strategy, backends: ${usable.map(([n]) => n).join(', ')}`);
  const nodeId = config.node?.id || config.node?.validatorWalletAddress || keystore;
  return { port, db, nodeId: nodeId.toLowerCase() };
}

/** Reads every file under bin/ and third_party/genvm/ once (streaming): the node's binaries and GenVM modules. */
async function loadReleaseFiles(): Promise<number> {
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) {
        const fh = await open(p, 'r').catch(() => null);
        if (!fh) continue;
        try {
          for (;;) {
            const { bytesRead } = await fh.read(buf, 0, buf.length, null);
            if (bytesRead === 0) break;
            bytes += bytesRead;
          }
        } finally {
          await fh.close();
        }
      }
    }
  };
  await walk(path.join(home, 'bin'));
  await walk(path.join(home, 'third_party/genvm'));
  return bytes;
}

function readSyncedBlock(db: string): number | null {
  try {
    const n = Number(readFileSync(path.join(db, SYNCED_BLOCK_FILE), 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The DB's format (its FORMAT file), 1 when it has none. */
function dbFormatOf(db: string): number {
  try {
    return Number(readFileSync(path.join(db, 'FORMAT'), 'utf8').trim()) || 1;
  } catch {
    return 1;
  }
}

/** consensus.genesis of config.yaml, where a sync from a fresh DB starts; 0 without it. */
function genesisOf(config: Config | null): number {
  const g = Number(config?.consensus?.genesis);
  return Number.isInteger(g) && g >= 0 ? g : 0;
}

function writeSyncedBlock(db: string, block: number): void {
  const f = path.join(db, SYNCED_BLOCK_FILE);
  try {
    writeFileSync(`${f}.${process.pid}.tmp`, `${block}\n`);
    renameSync(`${f}.${process.pid}.tmp`, f);
  } catch {
    // the DB folder is gone: the node is being torn down
  }
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1] ?? '';
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

function run(args: string[]): void {
  // a node that cannot write its own log (a folder that is not its user's) does not start
  try {
    mkdirSync(path.dirname(logFile), { recursive: true });
    appendFileSync(logFile, `${new Date().toISOString()} [${spec.version} pid ${process.pid}] starting genlayernode ${spec.version} (mode ${spec.mode})\n`);
  } catch (e) {
    process.stderr.write(`genlayernode: fatal: cannot open ${logFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    process.exit(1);
  }
  if (spec.mode === 'die-on-start') {
    setTimeout(() => fatal('panic: runtime error: invalid memory address (this release dies on start)'), 50);
    return;
  }
  const { port, db, nodeId } = preflight(flag(args, '--password') ?? process.env.NODE_PASSWORD ?? '');

  const lockFile = path.join(db, 'LOCK.fake');
  if (existsSync(lockFile)) {
    const other = Number(readFileSync(lockFile, 'utf8'));
    if (other && other !== process.pid && isAlive(other)) {
      appendFileSync(
        path.join(db, 'DOUBLE_RUN.log'),
        `${new Date().toISOString()} pid ${process.pid} (${spec.version}) started while pid ${other} runs on this DB\n`,
      );
      log(`two nodes on one DB: pid ${other} is running too`);
    }
  }
  writeFileSync(lockFile, String(process.pid));

  const format = dbFormatOf(db);
  const mine = spec.dbFormat ?? 1;
  if (format > mine) fatal(`database ${db} has format ${format}, newer than this release reads (${mine}): it was migrated by a newer version`);
  if (format < mine) {
    writeFileSync(path.join(db, 'FORMAT'), `${mine}\n`);
    log(`migrated the database from format ${format} to ${mine}`);
  }

  const writes = path.join(db, 'writes.log');
  let seq = 0;
  if (existsSync(writes)) {
    const lines = readFileSync(writes, 'utf8').trimEnd().split('\n');
    seq = Number(lines.at(-1)?.split(' ')[0]) || 0;
  }
  const writer = setInterval(() => {
    seq += 1;
    appendFileSync(writes, `${seq} ${process.pid} ${spec.version}\n`);
  }, spec.writeEveryMs);

  // sync state: where the shared DB left off, then the chain head
  const dbBlock = readSyncedBlock(db);
  // a fresh DB syncs from genesis (GenLayer: consensus.genesis spares the scan from block 0)
  const startBlock = dbBlock ?? genesisOf(readConfig());
  const behind = Math.max(0, spec.syncBehind ?? 0);
  let bootedAt: number | null = null;
  const stallsAt = () => (bootedAt !== null && spec.stallAfterMs !== undefined ? bootedAt + spec.stallAfterMs : Infinity);
  const syncDone = () => bootedAt !== null && Date.now() - bootedAt >= spec.syncMs && spec.mode !== 'unhealthy' && stallsAt() >= bootedAt + spec.syncMs;
  const syncedBlock = (): number => {
    if (behind > 0) return Math.max(0, startBlock - behind);
    if (bootedAt === null || spec.mode === 'unhealthy') return startBlock;
    if (syncDone()) return Math.max(chainHead(), startBlock);
    // a stalled sync stands where it was when it stalled
    const t = Math.min(Date.now(), stallsAt());
    const part = Math.min(1, (t - bootedAt) / Math.max(1, spec.syncMs));
    return startBlock + Math.max(0, Math.floor((chainHead(t) - startBlock) * part));
  };
  let persisted = dbBlock ?? 0;
  const persist = () => {
    const b = syncedBlock();
    if (b > persisted) {
      persisted = b;
      writeSyncedBlock(db, b);
    }
  };
  const persister = setInterval(persist, BLOCK_MS);

  const v05 = shape === 'v0.5';
  const labels = v05 && versionAtLeast(spec.version, 0, 5, 3) ? `{node="${nodeId}",network="${spec.network ?? 'testnet-asimov'}"}` : `{node="${nodeId}"}`;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (res.destroyed || req.socket.destroyed) return;
    const synced = syncDone();
    if (req.url === '/health') {
      const ts = v05 ? {} : { timestamp: new Date().toISOString() };
      const validating = synced ? { status: 'up', ...ts } : { status: 'down', ...ts, error: 'node is not synced' };
      const body = v05
        ? {
            checks: { validating, 'zksync-connectivity': { status: 'up' } },
            genvm_version: GENVM_VERSION,
            network: spec.network ?? 'testnet-asimov',
            node_version: spec.version,
            protocol_version: spec.protocol,
            status: synced ? 'up' : 'down',
          }
        : {
            status: synced ? 'up' : 'down',
            node_version: spec.version,
            protocol_version: spec.protocol,
            checks: { validating, zksync: { status: 'up', ...ts } },
          };
      res.writeHead(synced ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    } else if (req.url === '/snapshot' && req.method === 'POST' && versionAtLeast(spec.version, 0, 5, 11)) {
      snapshot(req, res);
    } else if (req.url === '/metrics' && !spec.noMetrics) {
      const block = syncedBlock();
      const head = Math.max(chainHead(), block);
      const gauge = (name: string, help: string, value: number) => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}${labels} ${value}\n`;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        gauge('genlayer_node_synced_block', 'Last synced block number.', block) +
          gauge('genlayer_node_synced', 'Node synchronization status (1 = synced, 0 = not synced).', synced && head - block === 0 ? 1 : 0) +
          gauge('genlayer_node_blocks_behind', 'Number of blocks behind the latest block.', head - block) +
          gauge('genlayer_node_latest_block', 'Latest block number in the network.', head),
      );
    } else {
      res.writeHead(404).end();
    }
  };
  // GenLayer: the token is read once at start; unset, every caller gets 401
  const token = process.env.GENLAYERNODE_NODE_OPERATOR_TOKEN ?? '';
  const snapshot = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? req.headers['x-admin-auth'];
      if (!token || auth !== token) return void res.writeHead(401).end('unauthorized\n');
      let dest: unknown;
      try {
        dest = (JSON.parse(body || '{}') as { destDir?: unknown }).destDir;
      } catch {
        return void res.writeHead(400).end('body is not JSON\n');
      }
      if (typeof dest !== 'string' || !path.isAbsolute(dest)) return void res.writeHead(400).end('destDir must be an absolute path\n');
      if (existsSync(dest)) return void res.writeHead(400).end('destDir already exists\n');
      try {
        // a consistent checkpoint: the writer and the persister run on this same thread
        persist();
        mkdirSync(dest);
        for (const e of readdirSync(db)) if (e !== 'LOCK.fake') cpSync(path.join(db, e), path.join(dest, e), { recursive: true });
      } catch (e) {
        return void res.writeHead(500).end(`snapshot failed: ${(e as Error).message}\n`);
      }
      log(`snapshot at block ${persisted} into ${dest}`);
      res.writeHead(204).end();
    });
  };

  // while it boots, what the spec says; by default it accepts connections at once but answers
  // only once it has booted
  const early = spec.early?.connections ?? 'hold';
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    if (bootedAt !== null || early === '503') handle(req, res);
    else if (early === 'hold') held.push(() => handle(req, res));
    else if (early === 'late') setTimeout(() => handle(req, res), spec.early?.lateMs ?? 1000);
    // never: accepted, and left without an answer (until the client gives up or the node stops)
  });
  server.keepAliveTimeout = 5000;
  server.on('error', (e) => fatal(`ops endpoint: ${e.message}`));
  const listen = (when: string) => server.listen(port, '127.0.0.1', () => log(`ops endpoint on 127.0.0.1:${port} (${when})`));
  if (early !== 'refuse') listen(`booting; early connections: ${early}`);

  let stopping = false;
  let boot: NodeJS.Timeout | undefined;
  const loadStarted = Date.now();
  void loadReleaseFiles().then(
    (bytes) => {
      log(`loaded ${(bytes / 2 ** 20).toFixed(1)} MiB of binaries and GenVM modules in ${Date.now() - loadStarted} ms`);
      if (stopping) return;
      boot = setTimeout(() => {
        bootedAt = Date.now();
        log(`booted; syncing from block ${syncedBlock()}`);
        if (early === 'refuse') listen('booted');
        for (const h of held.splice(0)) h();
        if (spec.mode === 'die-after-boot') setTimeout(() => fatal('validator: lost connection to consensus contract'), 100);
      }, spec.bootMs);
    },
    (e: unknown) => fatal(`loading the release files: ${(e as Error).message}`),
  );

  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    clearTimeout(boot);
    setTimeout(() => {
      clearInterval(writer);
      clearInterval(persister);
      persist();
      server.close();
      server.closeAllConnections();
      try {
        if (readFileSync(lockFile, 'utf8') === String(process.pid)) rmSync(lockFile);
      } catch {
        // gone already
      }
      log('stopped');
      process.exit(0);
    }, spec.stopMs);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** `genlayernode doctor [--network N]`: ✓/✗ lines, exit 0 whatever they say (as the real one). */
function doctor(args: string[]): number {
  const network = flag(args, '--network');
  if (network !== undefined && !versionAtLeast(spec.version, 0, 5, 4)) {
    process.stderr.write('Error: unknown flag: --network\n');
    return 2;
  }
  const forced = new Set(spec.doctorFails ?? []);
  const lines: string[] = [];
  const check = (key: string, name: string, ok: boolean, good: string, bad: string) => {
    const pass = ok && !forced.has(key);
    lines.push(`${pass ? '✓' : '✗'} ${name}: ${pass ? good : bad}`);
  };
  let config: Config | null = null;
  try {
    config = readConfig();
  } catch (e) {
    lines.push(`✗ Configuration: configs/node/config.yaml does not parse: ${(e as Error).message.split('\n')[0]}`);
  }
  const set = (v: string | undefined) => Boolean(v && !v.startsWith('TODO'));
  const rpc = process.env.GENLAYERNODE_ROLLUP_GENLAYERCHAINRPCURL || config?.rollup?.genlayerchainrpcurl || config?.rollup?.zksyncurl;
  const ws = process.env.GENLAYERNODE_ROLLUP_GENLAYERCHAINWEBSOCKETURL || config?.rollup?.genlayerchainwebsocketurl || config?.rollup?.zksyncurl;
  check('rpc', 'GenLayer Chain RPC', set(rpc), 'Connected', 'rollup.genlayerchainrpcurl is not set in config.yaml');
  check('rpc', 'GenLayer Chain WebSocket', set(ws), 'Connected', 'rollup.genlayerchainwebsocketurl is not set in config.yaml');
  const key = keystoreAddress();
  check(
    'wallet',
    'Validator Wallet Configuration',
    Boolean(key && process.env.NODE_PASSWORD),
    'OK',
    !key
      ? 'no operator key in data/node/keystore (import it with genlayernode account import)'
      : 'NODE_PASSWORD is not set (export the .env variables: set -a; . ./.env; set +a)',
  );
  const missing = genvmBinariesMissing();
  check(
    'genvm',
    'GenVM Binaries',
    missing.length === 0,
    `Found at ${path.join(home, 'third_party/genvm/bin')}`,
    `${missing.join(' and ')} not found in third_party/genvm/bin: run python3 third_party/genvm/bin/setup.py`,
  );
  check('webdriver', 'WebDriver', true, 'Successfully rendered test page', 'not reachable at http://localhost:4444');
  // --network (v0.5.4+): the configuration must be the named network's
  if (network !== undefined) {
    const runs = spec.network ?? 'testnet-asimov';
    check('network', 'Network', runs.includes(network), `${network} (${runs})`, `config.yaml is for ${runs}, not ${network}`);
  }
  const failed = lines.some((l) => l.startsWith('✗'));
  process.stdout.write(
    `${lines.join('\n')}\n${failed ? 'Some configuration checks failed; fix them before starting the node.' : 'All configuration checks passed!'}\n`,
  );
  return 0;
}

function main(): void {
  const [sub = 'run', ...args] = process.argv.slice(3);
  if (sub === 'run' || sub.startsWith('-')) return run(sub === 'run' ? args : [sub, ...args]);
  if (sub === 'doctor') process.exit(doctor(args));
  process.stderr.write(`genlayernode: unknown command "${sub}" (sandbox: run, doctor${spec.noVersionCommand ? '' : ', version'})\n`);
  process.exit(2);
}

main();
