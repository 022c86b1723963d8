import path from 'node:path';
import { loadDesired } from '../../desired/load.js';
import { ExitCode, refuse } from '../../errors.js';
import { observe } from '../../observe/observe.js';
import { plan } from '../../plan/plan.js';
import { exitCodeOf } from '../../plan/outcome.js';
import { isConverged } from '../../plan/steps.js';
import type { Logger } from '../../runtime/logger.js';
import { parse, fileOption } from '../args.js';
import { formatPlan } from '../format.js';
import { reconcileOnce } from '../../reconcile.js';
import { SignalGuard } from '../../runtime/signals.js';

export const help = `glr reconcile [-f FILE] [--dry-run] [--json]

Observe the host, compute the ordered plan that brings it to FILE, and apply it:
prepare the new version while the old node runs, then stop, switch one link, start,
verify, and roll back by itself if the new version is not healthy in time.

  -f, --file FILE   the desired state (default ./desired-state.yaml)
      --dry-run     print the plan and change nothing (writes nothing under the root)
      --json        print the plan (or the result) as JSON on stdout
  -h, --help        this text

Exit codes:
  0  converged: nothing to do, or applied and healthy on the desired version
  1  refused or failed before the switch; node, links and files are as they were
  2  --dry-run only: the host differs from FILE (the plan is printed)
  3  the switch failed; the previous version was restored and is healthy
  4  the switch failed and the previous version could not be restored: act now`;

export async function reconcileCommand(argv: string[], log: Logger, cwd: string): Promise<number> {
  const { values } = parse('reconcile', argv, { ...fileOption, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return ExitCode.ok;
  }
  const file = path.resolve(cwd, values.file as string);
  if (values['dry-run']) {
    const desired = await loadDesired(file);
    const p = plan(desired, await observe(desired));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
    } else if (p.refusals.length) {
      // the same line(s) a real run refuses with
      throw refuse(p.refusals.join('\n'));
    } else {
      process.stdout.write(`${formatPlan(p, desired.root)}\n`);
    }
    return p.refusals.length ? ExitCode.refused : isConverged(p) ? ExitCode.ok : ExitCode.pending;
  }
  const desired = await loadDesired(file);
  const signals = new SignalGuard(log).install();
  try {
    const r = await reconcileOnce(desired, { log, signals });
    const o = r.outcome;
    const exitCode = exitCodeOf(o);
    if (values.json) {
      const { windowMs, downtimeMs } = o.measures ?? { windowMs: null, downtimeMs: null };
      const result = { outcome: o.kind, exitCode, stage: o.stage, message: o.message, reasons: o.reasons, reported: o.reported, version: r.version };
      process.stdout.write(`${JSON.stringify({ ...result, windowMs, downtimeMs, phases: r.phases, plan: r.plan }, null, 2)}\n`);
    } else if (o.kind === 'refused') {
      for (const line of o.reasons) process.stderr.write(`glr: ${line}\n`);
    } else process.stdout.write(`${o.message}\n`);
    return exitCode;
  } finally {
    signals.uninstall();
  }
}
