/**
 * The outside prober (bench/probe.ts in a process of its own) and what its answers say: when a
 * version was first healthy, how long the validator went without a healthy answer, and how quick
 * the answers were in a stretch of time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { now } from './clock.js';

const PROBE_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../probe.js');

export const PROBE_EVERY_MS = 10;

export interface Answer {
  sent: number;
  /** when the answer (or the failure) came */
  at: number;
  /** HTTP status, 0 when there was no answer (refused, reset, timed out) */
  status: number;
  version: string | null;
  up: boolean;
}

export const healthyOn = (a: Answer, version: string): boolean => a.status === 200 && a.version === version && a.up;
export const healthy = (a: Answer): boolean => a.status === 200 && a.up;

export class Prober {
  readonly answers: Answer[] = [];
  private readonly child: ChildProcess;
  private rest = '';
  private readonly exited: Promise<void>;

  private constructor(url: string, everyMs: number) {
    this.child = spawn(process.execPath, [PROBE_JS, url, String(everyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => this.take(d));
    this.exited = new Promise((r) => this.child.on('close', () => r()));
  }

  /** Starts probing `url` and resolves once the first answer came (the prober is warm). */
  static async start(url: string, everyMs = PROBE_EVERY_MS): Promise<Prober> {
    const p = new Prober(url, everyMs);
    await p.until(() => p.answers.length > 0, 10_000, 'the prober to start');
    return p;
  }

  private take(d: string): void {
    const lines = (this.rest + d).split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) {
      const [sent, at, status, version, up] = l.split(' ');
      this.answers.push({ sent: Number(sent), at: Number(at), status: Number(status), version: version === '-' ? null : version!, up: up === '1' });
    }
  }

  /** The first answer healthy on `version` sent after `after`, once it has come. */
  async healthyOn(version: string, after: number, timeoutMs = 60_000): Promise<Answer> {
    let found: Answer | undefined;
    await this.until(() => (found = this.answers.find((a) => a.sent >= after && healthyOn(a, version))) !== undefined, timeoutMs, `healthy on ${version}`);
    return found!;
  }

  async until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = now() + timeoutMs;
    while (!cond()) {
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (prober)`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<Answer[]> {
    this.child.kill('SIGTERM');
    await this.exited;
    return this.answers;
  }
}

/**
 * The longest stretch without a healthy answer within [from, to] (answer times): for an update,
 * from the old version's last healthy answer to the new one's first. Returns the stretch and
 * the versions at its two ends.
 */
export function outage(answers: Answer[], from: number, to: number): { ms: number; lastBefore: Answer; firstAfter: Answer } | null {
  const ok = answers.filter((a) => healthy(a) && a.at >= from && a.at <= to).sort((a, b) => a.at - b.at);
  let best: { ms: number; lastBefore: Answer; firstAfter: Answer } | null = null;
  for (let i = 1; i < ok.length; i++) {
    const ms = ok[i]!.at - ok[i - 1]!.at;
    if (!best || ms > best.ms) best = { ms, lastBefore: ok[i - 1]!, firstAfter: ok[i]! };
  }
  return best;
}

/** Latencies (ms) of the requests sent within [from, to), and how many of them got no answer. */
export function latencies(answers: Answer[], from: number, to: number, version?: string): { ms: number[]; unanswered: number } {
  const inside = answers.filter((a) => a.sent >= from && a.sent < to);
  const ms = inside.filter((a) => a.status !== 0 && (version === undefined || a.version === version)).map((a) => a.at - a.sent);
  return { ms, unanswered: inside.filter((a) => a.status === 0).length };
}
