/**
 * 5. Downtime, honestly: the outside prober's longest stretch without a healthy answer through
 * each update (the old version's last healthy answer → the new one's first), beside the figure
 * glr reports (its --json `downtimeMs` and the last line of {root}/.glr/history.jsonl), and beside
 * the floor: the node's own stop + start of the same version, on the same host, seen by the same
 * prober. Derived from the end-to-end rounds.
 */
import { max } from '../lib/stats.js';
import type { EndToEnd } from './end-to-end.js';

export interface DowntimeRound {
  rate: string;
  prober: number;
  reported: number;
  history: number;
  /** reported − prober */
  delta: number;
  floor: number;
  ends: string;
}

export interface Downtime {
  rounds: DowntimeRound[];
  maxAbsDelta: number;
  /** the runbook's downtime as the prober saw it, per rate */
  runbook: Record<string, number[]>;
  /** inside the window, per glr round: glr's steps and the floor's own stop and start (ms) */
  window: { glr: number; stop: number; swap: number; start: number; floorStop: number; floorStart: number; verifyLag: number; stopLead: number }[];
}

export function downtime(e: EndToEnd): Downtime {
  const rounds = Object.values(e.glr)
    .flat()
    .map((g) => ({
      rate: g.rate,
      prober: g.outageMs,
      reported: g.reportedMs,
      history: g.historyMs,
      delta: g.reportedMs - g.outageMs,
      floor: g.floorOutageMs,
      ends: g.outageEnds,
    }));
  return {
    rounds,
    maxAbsDelta: max(rounds.map((r) => Math.abs(r.delta))),
    window: Object.values(e.glr)
      .flat()
      .map((g) => ({
        glr: g.windowMs,
        stop: g.steps.stop,
        swap: g.steps.swap,
        start: g.steps.start,
        floorStop: g.floorStopMs,
        floorStart: g.floorStartMs,
        verifyLag: g.verifyLagMs,
        stopLead: g.stopLeadMs,
      })),
    runbook: Object.fromEntries(Object.entries(e.runbook).map(([rate, rs]) => [rate, rs.map((r) => r.outageMs)])),
  };
}
