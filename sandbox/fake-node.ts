/**
 * A stand-in for `genlayernode` that behaves, where glr can tell, like the real one:
 * - refuses to start without config.yaml, .env, a keystore, the DB link and a finished GenVM
 *   setup, and crash-loops (exits) when GenVM would have no enabled LLM backend with a key;
 * - answers nothing while it boots, 503 while it syncs, then 200 on GET /health, in the real
 *   node's shape, on the ops port of its config.yaml; /metrics has genlayer_node_synced_block;
 * - appends numbered records to the shared DB while it runs, and records it when it finds another
 *   instance running on the same DB (the double-signing case glr must never cause);
 * - takes a little time to stop on SIGTERM.
 *
 * Run by the release's bin/genlayernode shim as: node fake-node.js <path the shim was run as>.
 * Its behaviour comes from bin/fake-node.json in the release (version, mode and timings).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parse } from 'yaml';
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
}

const shimPath = process.argv[2] ?? '';
const binDir = path.dirname(realpathSync(shimPath));
const home = path.dirname(binDir);
const spec = JSON.parse(readFileSync(path.join(binDir, 'fake-node.json'), 'utf8')) as FakeNodeSpec;
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

function envNames(text: string): Set<string> {
  const set = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(line);
    if (m && m[2]!.trim().replace(/^["']|["']$/g, '') !== '') set.add(m[1]!);
  }
  return set;
}

function preflight(): { port: number; db: string } {
  const config = path.join(home, 'configs/node/config.yaml');
  if (!existsSync(config)) fatal(`config file not found: ${config}`);
  const port = Number((parse(readFileSync(config, 'utf8')) as { node?: { ops?: { port?: number } } })?.node?.ops?.port);
  if (!Number.isInteger(port)) fatal('config.yaml: node.ops.port is not set');
  const envFile = path.join(home, '.env');
  if (!existsSync(envFile)) fatal('.env not found');
  const keystore = path.join(home, 'data/node/keystore');
  if (!existsSync(keystore) || !readdirSync(keystore).some((f) => f.startsWith('UTC--'))) fatal('no key in data/node/keystore');
  const dbLink = path.join(home, 'data/node/genlayer.db');
  let db: string;
  try {
    db = realpathSync(dbLink);
  } catch {
    fatal(`database not found at ${dbLink}`);
  }
  if (!existsSync(path.join(home, 'third_party/genvm/.setup-done'))) fatal('GenVM is not set up (run third_party/genvm/bin/setup.py)');

  // GenVM: backends whose key is empty are switched off; with none left the LLM module fails
  const llm = parse(readFileSync(path.join(home, 'third_party/genvm/config/genvm-module-llm.yaml'), 'utf8')) as {
    backends?: Record<string, { enabled?: boolean; key?: string }>;
  };
  const names = envNames(readFileSync(envFile, 'utf8'));
  const usable = Object.entries(llm.backends ?? {}).filter(([, b]) => {
    if (b.enabled === false) return false;
    const ref = /^\$\{ENV\[(\w+)\]\}$/.exec(String(b.key ?? ''));
    return ref ? names.has(ref[1]!) : Boolean(b.key);
  });
  if (usable.length === 0) fatal('genvm: llm module: no enabled backend with a key; module failed');
  log(`genvm llm backends: ${usable.map(([n]) => n).join(', ')}`);
  return { port, db };
}

function main(): void {
  log(`starting genlayernode ${spec.version} (mode ${spec.mode})`);
  if (spec.mode === 'die-on-start') {
    setTimeout(() => fatal('panic: runtime error: invalid memory address (this release dies on start)'), 50);
    return;
  }
  const { port, db } = preflight();

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

  const startedAt = Date.now();
  const syncedBlock = () => 1000 + Math.floor((Date.now() - startedAt) / 100);
  const server = http.createServer((req, res) => {
    const synced = Date.now() - startedAt >= spec.bootMs + spec.syncMs && spec.mode !== 'unhealthy';
    if (req.url === '/health') {
      const body = {
        status: synced ? 'up' : 'down',
        node_version: spec.version,
        protocol_version: 'v0.1.0',
        checks: {
          validating: synced
            ? { status: 'up', timestamp: new Date().toISOString() }
            : { status: 'down', timestamp: new Date().toISOString(), error: 'node is not synced' },
          zksync: { status: 'up', timestamp: new Date().toISOString() },
        },
      };
      res.writeHead(synced ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE genlayer_node_synced_block gauge\ngenlayer_node_synced_block ${syncedBlock()}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  const boot = setTimeout(() => {
    server.listen(port, '127.0.0.1', () => log(`ops endpoint on 127.0.0.1:${port}`));
    if (spec.mode === 'die-after-boot') setTimeout(() => fatal('validator: lost connection to consensus contract'), 100);
  }, spec.bootMs);
  server.on('error', (e) => fatal(`ops endpoint: ${e.message}`));

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    clearTimeout(boot);
    setTimeout(() => {
      clearInterval(writer);
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

main();
