import path from 'node:path';
import { ExitCode, refuse } from '../../errors.js';
import type { Logger } from '../../runtime/logger.js';
import { Watcher } from '../../watch/watcher.js';
import { tuningFromEnv } from '../../runtime/tuning.js';
import { fileOption, parse } from '../args.js';

export const help = `glr watch [-f FILE] [--interval SECONDS]

Reconcile now, then again whenever FILE changes (debounced) and every interval, to
catch drift: a link re-pointed, a node stopped, a folder deleted. Each pass compares
the whole file with the whole host; events only wake it up. Runs until SIGTERM/SIGINT/SIGHUP
(in the switch window the node is brought up first). Holds the root's lock while it runs.

An invalid FILE is logged and ignored: the last valid state is kept. A release that
failed and was rolled back is retried only when FILE changes, or after a backoff that
grows from 5 minutes to 1 hour. With metrics.textfile set, every pass (and every wake-up
such a failure holds back) writes glr's metrics. With prepareAhead: patch, after a pass
that left the host converged, the newest release of the running MAJOR.MINOR series is
prepared beside the running node (never switched to), at most once per interval.

  -f, --file FILE        the desired state (default ./desired-state.yaml)
      --interval SECONDS how often to check for drift (default 60)
  -h, --help             this text`;

export async function watchCommand(argv: string[], log: Logger, cwd: string): Promise<number> {
  const { values } = parse('watch', argv, { ...fileOption, interval: { type: 'string', default: '60' } });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return ExitCode.ok;
  }
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval <= 0 || interval > 86_400) {
    throw refuse(`glr watch: --interval must be a number of seconds between 0 and 86400 (got ${values.interval})`);
  }
  return new Watcher({
    file: path.resolve(cwd, values.file as string),
    intervalMs: interval * 1000,
    log,
    failureBackoffMs: tuningFromEnv().failureBackoffMs,
  }).run();
}
