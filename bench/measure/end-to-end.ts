/**
 * 1. End to end at real size: a fresh runbook-laid host updated v0.4.3 → v0.4.5 (the real-size
 * release), once by the runbook's steps scripted, once by `glr reconcile`, at each rate, rounds
 * interleaved (and their order alternated) so that machine noise falls on both alike.
 *
 * The outside prober (every 10 ms) watches the old node idle for a moment, then through the
 * whole update, so each round also yields: the old node's /health latency idle and during the
 * preparation (figure 4), the validator's downtime as an outsider sees it (figure 5), glr's own
 * download action and peak RSS (figures 2 and 3). After glr's round, the node's own stop + start of
 * the same version on the same host is the downtime floor (figure 5).
 */
import type { SandboxHost } from '../../sandbox/host.js';
import { now, say, sleep } from '../lib/clock.js';
import { freshHost, NEW, OLD, retire, svc, throttle, type Fixtures } from '../lib/fixtures.js';
import { actionMs, actionStart, glr, lastHistory, logLine } from '../lib/glr.js';
import { latencies, outage, Prober, type Answer } from '../lib/prober.js';
import { runPhase1, runPhase2 } from '../lib/runbook.js';
import { MiB } from '../lib/stats.js';

export interface Rate {
  name: string;
  bps: number | null;
}

interface Common {
  rate: string;
  startedAt: number;
  /** the stop was issued: the preparation is over */
  stopAt: number;
  /** the prober's first answer healthy on the new version */
  healthyAt: number;
  /** the update's start → the new version healthy (prober) */
  toHealthyMs: number;
  /** the update's start → the command (or the runbook's script and its health poll) returned */
  toReturnMs: number;
  prepareMs: number;
  /** the prober's longest stretch without a healthy answer: old's last → new's first */
  outageMs: number;
  outageEnds: string;
  /** the old node's last healthy answer (prober) − the stop issued: how long it still answered */
  stopLeadMs: number;
  idle: { ms: number[]; unanswered: number };
  prep: { ms: number[]; unanswered: number };
}

export interface RunbookRound extends Common {
  /** curl, tar, setup, the rest (ms) */
  steps: Record<string, number>;
  /** the same steps' CPU time, user + system, the commands' children included (ms) */
  cpu: Record<string, number>;
  /** the CPU time of Phase 1 and of Phase 2, each whole (ms) */
  phase1CpuMs: number;
  phase2CpuMs: number;
}

export interface GlrRound extends Common {
  exitCode: number | null;
  downloadMs: number;
  /** glr's CPU time for its download action, every thread (its log) */
  downloadCpuMs: number;
  /** the whole `glr reconcile`'s CPU time, user + system, its children included (GNU time) */
  cpuMs: number;
  peakRssKb: number;
  /** glr's own downtime figure: its --json result and the last line of its history */
  reportedMs: number;
  historyMs: number;
  /** the node's own stop + start of the same version, after glr's round, on the same host */
  floorOutageMs: number;
  /** the floor: stop issued → healthy (prober) */
  floorMs: number;
  /** glr's switch window (stop → start returned) and its steps, from its log */
  windowMs: number;
  steps: { stop: number; swap: number; start: number };
  /** the floor's own stop and start commands (wall ms) */
  floorStopMs: number;
  floorStartMs: number;
  /** glr's log line saying the new version is healthy, after the prober's first healthy answer (ms) */
  verifyLagMs: number;
}

export interface EndToEnd {
  rates: Rate[];
  runbook: Record<string, RunbookRound[]>;
  glr: Record<string, GlrRound[]>;
  /** rounds that failed, one line each */
  errors: string[];
}

async function watched<T>(host: SandboxHost, idleMs: number, fn: (p: Prober) => Promise<T>): Promise<{ r: T; answers: Answer[]; probeFrom: number }> {
  const p = await Prober.start(host.healthUrl);
  const probeFrom = now();
  try {
    await sleep(idleMs);
    const r = await fn(p);
    return { r, answers: await p.stop(), probeFrom };
  } catch (e) {
    await p.stop();
    throw e;
  }
}

function common(rate: string, answers: Answer[], probeFrom: number, startedAt: number, stopAt: number, healthyAt: number, returnedAt: number): Common {
  const o = outage(answers, startedAt, healthyAt + 1);
  return {
    rate,
    startedAt,
    stopAt,
    healthyAt,
    toHealthyMs: healthyAt - startedAt,
    toReturnMs: returnedAt - startedAt,
    prepareMs: stopAt - startedAt,
    outageMs: o?.ms ?? NaN,
    outageEnds: o ? `${o.lastBefore.version} → ${o.firstAfter.version}` : '—',
    stopLeadMs: (o?.lastBefore.at ?? NaN) - stopAt,
    idle: latencies(answers, probeFrom + 50, startedAt, OLD),
    prep: latencies(answers, startedAt, stopAt, OLD),
  };
}

export async function runbookRound(f: Fixtures, rate: Rate): Promise<RunbookRound> {
  const host = await freshHost(f.big);
  try {
    const url = f.big.urlTemplate.replaceAll('{version}', NEW);
    const { r, answers, probeFrom } = await watched(host, f.o.idleMs, async (p) => {
      const p1 = await runPhase1(host, url, NEW);
      const p2 = await runPhase2(host, NEW);
      // the harness's health poll: the prober's first healthy answer on the new version
      const healthy = await p.healthyOn(NEW, p2.startedAt);
      return { p1, p2, healthyAt: healthy.at };
    });
    const returnedAt = Math.max(r.healthyAt, r.p2.endedAt);
    return {
      ...common(rate.name, answers, probeFrom, r.p1.startedAt, r.p2.startedAt, r.healthyAt, returnedAt),
      steps: r.p1.steps,
      cpu: r.p1.cpu,
      phase1CpuMs: r.p1.cpuMs,
      phase2CpuMs: r.p2.cpuMs,
    };
  } finally {
    await retire(host);
  }
}

export async function glrRound(f: Fixtures, rate: Rate): Promise<GlrRound> {
  const host = await freshHost(f.big);
  try {
    const file = host.writeDesired({ version: NEW, timeoutSeconds: 60 });
    const { r, answers, probeFrom } = await watched(host, f.o.idleMs, async (p) => {
      const run = await glr(['reconcile', '--json', '-f', file]);
      if (run.code !== 0) throw new Error(`glr reconcile exited ${run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const healthy = await p.healthyOn(NEW, run.startedAt);
      // the floor: the node's own stop + start of the same version, same host, same files
      await sleep(300);
      const f0 = now();
      const stopped = await svc(host, 'stop');
      const started = await svc(host, 'start');
      const back = await p.healthyOn(NEW, stopped.endedAt);
      await sleep(50);
      return { run, healthyAt: healthy.at, f0, floorHealthyAt: back.at, floorStopMs: stopped.wallMs, floorStartMs: started.wallMs };
    });
    const { run } = r;
    const stopAt = actionStart(run.log, 'stop');
    const floor = outage(answers, r.f0 - 100, r.floorHealthyAt + 1);
    const window = logLine(run.log, (l) => typeof l.windowMs === 'number' && l.msg.startsWith('switch window'));
    const seenHealthy = logLine(run.log, (l) => typeof l.downtimeMs === 'number', stopAt);
    return {
      ...common(rate.name, answers, probeFrom, run.startedAt, stopAt, r.healthyAt, run.endedAt),
      exitCode: run.code,
      downloadMs: actionMs(run.log, 'download'),
      downloadCpuMs: Number(logLine(run.log, (l) => l.msg.startsWith('release downloaded'))?.cpuMs ?? NaN),
      cpuMs: run.cpuMs,
      peakRssKb: run.peakRssKb,
      reportedMs: run.result?.downtimeMs ?? NaN,
      historyMs: Number(lastHistory(host.root)?.downtimeMs ?? NaN),
      floorOutageMs: floor?.ms ?? NaN,
      floorMs: r.floorHealthyAt - r.f0,
      windowMs: Number(window?.windowMs ?? NaN),
      steps: { stop: actionMs(run.log, 'stop'), swap: actionMs(run.log, 'swap'), start: actionMs(run.log, 'start') },
      floorStopMs: r.floorStopMs,
      floorStartMs: r.floorStartMs,
      verifyLagMs: (seenHealthy?.at ?? NaN) - r.healthyAt,
    };
  } finally {
    await retire(host);
  }
}

export async function endToEnd(f: Fixtures): Promise<EndToEnd> {
  const rates: Rate[] = [
    { name: `${f.o.rateBps / MiB} MiB/s`, bps: f.o.rateBps },
    { name: 'unthrottled', bps: null },
  ];
  const out: EndToEnd = { rates, runbook: {}, glr: {}, errors: [] };
  for (const rate of rates) {
    out.runbook[rate.name] = [];
    out.glr[rate.name] = [];
  }
  for (let i = 0; i < f.o.rounds; i++) {
    for (const rate of rates) {
      throttle(f, rate.bps);
      const order = i % 2 === 0 ? (['runbook', 'glr'] as const) : (['glr', 'runbook'] as const);
      for (const who of order) {
        try {
          if (who === 'runbook') out.runbook[rate.name]!.push(await runbookRound(f, rate));
          else out.glr[rate.name]!.push(await glrRound(f, rate));
        } catch (e) {
          // one failed round is reported; the others still count
          out.errors.push(`${who}, round ${i + 1} at ${rate.name}: ${e instanceof Error ? e.message : String(e)}`);
          say(`end to end: ${out.errors.at(-1)}`);
        }
      }
      const rb = out.runbook[rate.name]!.at(-1);
      const g = out.glr[rate.name]!.at(-1);
      if (rb && g)
        say(
          `end to end ${i + 1}/${f.o.rounds} at ${rate.name}: runbook ${Math.round(rb.toHealthyMs)} ms, glr ${Math.round(g.toReturnMs)} ms ` +
            `(download ${g.downloadMs} ms, down ${Math.round(g.outageMs)} ms seen / ${g.reportedMs} ms reported, floor ${Math.round(g.floorOutageMs)} ms)`,
        );
    }
  }
  throttle(f, null);
  return out;
}
