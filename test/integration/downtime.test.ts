/**
 * glr sees the new node healthy when an outsider does, and reports the downtime an outsider
 * sees, whatever a booting node does with the connections it gets before it is ready: holds
 * them and answers once booted, refuses them, answers 503, never answers those it accepted while
 * booting, or answers them only after a delay. A prober in a process of its own asks /health
 * every 10 ms (each request on its own connection, none waiting for another) through one
 * upgrade per behaviour, on one host; glr's first healthy answer (its debug log) and its
 * downtime are compared with the prober's.
 *
 * The properties are relative to the prober, never timed against the clock, and loose by
 * SCHEDULING: on a loaded 2-core machine either process can be kept off a core that long. The
 * bench measures them tightly (docs/benchmarks.md). To make a glr that can be held up by early
 * connections fail here beyond any noise, requests may take 5 s before glr gives them up, and
 * the late node answers its early requests 3 s after they came.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeNodeSpec } from '../../sandbox/fake-node.js';
import { waitFor } from '../../sandbox/host.js';
import { REPO, runGlr, TEST_TUNING, type GlrRun } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const PROBE_JS = path.join(REPO, 'dist/bench/probe.js');
const POLL_MS = Number(TEST_TUNING.GLR_HEALTH_POLL_MS);
/** what a loaded machine may add between two processes' readings of one event */
const SCHEDULING = 250;
const ENV = { GLR_LOG_LEVEL: 'debug', GLR_HEALTH_REQUEST_MS: '5000' };

type Early = NonNullable<FakeNodeSpec['early']>;

/** one upgrade per behaviour, in this order, from v0.4.3 */
const CASES: { version: string; early: Early }[] = [
  { version: 'v0.4.5', early: { connections: 'hold' } },
  { version: 'v0.4.6', early: { connections: 'refuse' } },
  { version: 'v0.4.7', early: { connections: '503' } },
  { version: 'v0.4.8', early: { connections: 'never' } },
  { version: 'v0.4.9', early: { connections: 'late', lateMs: 3000 } },
];

interface Answer {
  answeredAt: number;
  version: string;
  up: boolean;
}

interface Upgrade {
  run: GlrRun;
  answers: Answer[];
  from: string;
  to: string;
}

let sb: Sandbox;
const upgrades = new Map<string, Upgrade>();

/** Upgrades the host to `to` with the prober watching; resolves once the prober saw `to` healthy. */
async function upgrade(from: string, to: string): Promise<Upgrade> {
  const file = sb.host.writeDesired({ version: to });
  const probe = spawn(process.execPath, [PROBE_JS, sb.host.healthUrl, '10', '10000'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  probe.stdout.on('data', (d) => (out += d));
  let run: GlrRun;
  try {
    await waitFor(() => out.includes(` 200 ${from} 1`), { timeoutMs: 10_000, what: `the prober to see ${from} healthy` });
    run = await runGlr(['reconcile', '--json', '-f', file], { env: ENV });
    await waitFor(() => out.includes(` 200 ${to} 1`), { timeoutMs: 10_000, what: `the prober to see ${to} healthy` });
  } finally {
    probe.kill('SIGTERM');
    await new Promise((r) => probe.on('close', r));
  }
  const answers = out
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([, answeredAt, status, version, up]) => ({ answeredAt: Number(answeredAt), version: version!, up: status === '200' && up === '1' }))
    .sort((a, b) => a.answeredAt - b.answeredAt);
  return { run, answers, from, to };
}

beforeAll(async () => {
  sb = await createSandbox();
  let from = 'v0.4.3';
  for (const c of CASES) {
    await sb.publish({ version: c.version, bootMs: 300, syncMs: 200, early: c.early });
    upgrades.set(c.early.connections, await upgrade(from, c.version));
    from = c.version;
  }
}, 240_000);
afterAll(async () => sb?.cleanup());

describe("glr's first healthy answer and its downtime are the prober's, whatever the booting node does with early connections", () => {
  for (const { early } of CASES) {
    it(`${early.connections}${early.lateMs ? ` (${early.lateMs} ms)` : ''}`, () => {
      const { run, answers, from, to } = upgrades.get(early.connections)!;
      expect(run.code, run.stderr).toBe(0);
      const printed = (JSON.parse(run.stdout) as { downtimeMs: number }).downtimeMs;
      const history = readFileSync(path.join(sb.host.root, '.glr/history.jsonl'), 'utf8').trim().split('\n');
      const recorded = history.map((l) => JSON.parse(l) as { version?: string; downtimeMs: number }).findLast((h) => h.version === to)!.downtimeMs;
      expect(recorded).toBe(printed);

      const lastOld = answers.filter((a) => a.up && a.version === from).at(-1)!;
      const firstNew = answers.find((a) => a.up && a.version === to)!;
      const seen = firstNew.answeredAt - lastOld.answeredAt;
      // the node cannot be healthy again sooner than it boots and syncs
      expect(seen).toBeGreaterThan(500);

      const line = run.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; healthyAt?: number })
        .find((l) => l.msg === `${to} answered healthy`);
      expect(line?.healthyAt, 'glr logs the moment of its first healthy answer').toBeTypeOf('number');
      // glr asks every POLL_MS whatever became of its earlier requests: its first healthy
      // answer comes at most one poll after the prober's
      expect(line!.healthyAt! - firstNew.answeredAt, `glr's first healthy answer after the prober's (ms)`).toBeLessThanOrEqual(POLL_MS + SCHEDULING);
      // each end of the gap is within one poll of the prober's (glr's watch on the old node
      // asks every POLL_MS too)
      expect(Math.abs(recorded - seen), `glr ${recorded} ms, prober ${seen} ms`).toBeLessThanOrEqual(2 * POLL_MS + SCHEDULING);
    });
  }
});
