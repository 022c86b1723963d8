/**
 * 4. How quickly the old node answers /health while it keeps validating: each request's latency
 * as the outside prober measured it (a request every 10 ms, each on a new connection), idle (the
 * moment before each update) against during the preparation (from the update's start to its
 * stop), for glr and for the runbook's Phase 1. Derived from the end-to-end rounds.
 */
import { percentile } from '../lib/stats.js';
import type { EndToEnd } from './end-to-end.js';

export interface LatencyFigure {
  n: number;
  unanswered: number;
  p50: number;
  p99: number;
  max: number;
}

export interface HealthLatency {
  idle: LatencyFigure;
  /** per rate */
  glr: Record<string, LatencyFigure>;
  runbook: Record<string, LatencyFigure>;
}

function figure(parts: { ms: number[]; unanswered: number }[]): LatencyFigure {
  const ms = parts.flatMap((p) => p.ms);
  return { n: ms.length, unanswered: parts.reduce((s, p) => s + p.unanswered, 0), p50: percentile(ms, 50), p99: percentile(ms, 99), max: percentile(ms, 100) };
}

export function healthLatency(e: EndToEnd): HealthLatency {
  const all = [...Object.values(e.glr), ...Object.values(e.runbook)].flat();
  return {
    idle: figure(all.map((r) => r.idle)),
    glr: Object.fromEntries(Object.entries(e.glr).map(([rate, rs]) => [rate, figure(rs.map((r) => r.prep))])),
    runbook: Object.fromEntries(Object.entries(e.runbook).map(([rate, rs]) => [rate, figure(rs.map((r) => r.prep))])),
  };
}
