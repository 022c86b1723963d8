/**
 * Child processes for the bench: each command's wall time on the bench's clock and, under
 * `/usr/bin/time -f %M` (its report in a file of its own, apart from the command's stderr),
 * its peak RSS.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { now } from './clock.js';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the bench's clock when the command was spawned and when it had exited */
  startedAt: number;
  endedAt: number;
  wallMs: number;
  /** peak resident set of the command (KiB, as GNU time's %M), NaN when not measured */
  peakRssKb: number;
  /** CPU time of the command and the children it waited for, user + system (ms; GNU time's %U + %S), NaN when not measured */
  cpuMs: number;
}

/** The environment glr runs with: the bench's own, without any GLR_* knob (glr at its defaults). */
export function defaultEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GLR_')));
  return { ...env, ...extra };
}

let seq = 0;

/** Runs argv to its end; with `rss`, under /usr/bin/time. Never throws on a non-zero exit. */
export function run(argv: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; rss?: boolean; timeoutMs?: number } = {}): Promise<Ran> {
  const timeFile = path.join(os.tmpdir(), `glr-bench-time-${process.pid}-${seq++}`);
  const full = o.rss ? ['/usr/bin/time', '-f', '%M %U %S', '-o', timeFile, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const startedAt = now();
    const child = spawn(full[0]!, full.slice(1), { env: o.env ?? process.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      const endedAt = now();
      clearTimeout(timer);
      let peakRssKb = NaN;
      let cpuMs = NaN;
      if (o.rss) {
        try {
          // the last line: a killed command makes time write "Command terminated by signal" first
          const [rss, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
          peakRssKb = rss!;
          cpuMs = (user! + sys!) * 1000;
        } catch {
          // no report: NaN
        }
        rmSync(timeFile, { force: true });
      }
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        startedAt,
        endedAt,
        wallMs: endedAt - startedAt,
        peakRssKb,
        cpuMs,
      });
    });
  });
}

/** Like run, but a non-zero exit is an error that quotes the command's stderr. */
export async function runOk(argv: string[], o: Parameters<typeof run>[1] = {}): Promise<Ran> {
  const r = await run(argv, o);
  if (r.code !== 0) throw new Error(`${argv.slice(0, 3).join(' ')}... exited ${r.code}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return r;
}
