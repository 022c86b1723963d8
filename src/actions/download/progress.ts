import type { Logger } from '../../runtime/logger.js';
import { size } from '../../runtime/text.js';

/** Where the progress line goes: stderr, or a fake in tests. */
export interface ProgressSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface ProgressOptions {
  version: string;
  /** Content-Length, when the server sent it */
  total: number | null;
  log: Logger;
  sink?: ProgressSink;
  now?: () => number;
  /** a terminal: how often the line is redrawn at most */
  redrawMs?: number;
  /** not a terminal: how often a log line is written at most (none for a shorter download) */
  logEveryMs?: number;
}

/**
 * Download progress. On a terminal (stderr is a TTY): one line rewritten in place (`\r`) with
 * bytes/total, rate and ETA, redrawn at most every 200 ms and erased at the end. Otherwise (a
 * journal, a CI log, a pipe): a plain log line at most every 10 s, so a download that takes
 * less than that writes none. `add()` costs one clock read per chunk: it does not slow the
 * pipeline (bench/stages.ts).
 */
export class Progress {
  private readonly sink: ProgressSink;
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly every: number;
  private readonly started: number;
  private last: number;
  private bytes = 0;
  private shown = false;

  constructor(private readonly o: ProgressOptions) {
    this.sink = o.sink ?? process.stderr;
    this.now = o.now ?? Date.now;
    this.tty = this.sink.isTTY === true;
    this.every = this.tty ? (o.redrawMs ?? 200) : (o.logEveryMs ?? 10_000);
    this.started = this.now();
    this.last = this.started;
  }

  add(n: number): void {
    this.bytes += n;
    const t = this.now();
    if (t - this.last < this.every) return;
    this.last = t;
    if (this.tty) {
      this.sink.write(`\r${this.text(t)}\x1b[K`);
      this.shown = true;
    } else {
      const { rate, eta } = this.figures(t);
      this.o.log.info(
        { version: this.o.version, bytes: this.bytes, total: this.o.total, bytesPerSecond: Math.round(rate), etaSeconds: eta === null ? null : Math.ceil(eta) },
        `downloading ${this.o.version}: ${this.text(t)}`,
      );
    }
  }

  /** erases the line (a terminal); call it once the transfer has ended, either way */
  end(): void {
    if (this.shown) this.sink.write('\r\x1b[K');
    this.shown = false;
  }

  private figures(t: number): { rate: number; eta: number | null } {
    const secs = Math.max(1e-3, (t - this.started) / 1000);
    const rate = this.bytes / secs;
    const eta = this.o.total !== null && rate > 0 ? Math.max(0, (this.o.total - this.bytes) / rate) : null;
    return { rate, eta };
  }

  /** `45 MiB of 113 MiB (40%), 98 MiB/s, 1 s left` */
  private text(t = this.now()): string {
    const { rate, eta } = this.figures(t);
    const total = this.o.total;
    const done = total ? `${size(this.bytes)} of ${size(total)} (${Math.floor((100 * this.bytes) / total)}%)` : size(this.bytes);
    return `${this.tty ? `downloading ${this.o.version}: ` : ''}${done}, ${size(rate)}/s${eta === null ? '' : `, ${duration(eta)} left`}`;
  }
}

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
