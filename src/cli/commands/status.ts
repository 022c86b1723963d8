import path from 'node:path';
import { loadDesired } from '../../desired/load.js';
import { ExitCode } from '../../errors.js';
import { parse, fileOption } from '../args.js';
import { formatStatus } from '../status-format.js';
import { statusReport } from '../status-report.js';

export const help = `glr status [-f FILE] [--json]

What runs and how healthy it is (every check the node reports), where the links point and
whether they agree, the prepared versions (size on disk, when prepared, which is the last
known-good, which are bad releases), what retention would remove, the last results from the
history, who holds the root's lock, whether the host is at FILE's state (the plan, computed
read-only, with its warnings), the postSwitch hooks' last run, the node's sync while it catches
up (blocks behind, its pace, an estimate of when it is done) and glr's snapshots of the DB.

Reads only: writes nothing, takes no lock (it asks the lock's holder who it is).

  -f, --file FILE   the desired state (default ./desired-state.yaml)
      --json        one JSON value, {"version": 1, ...}: the shape is in docs/status.md
  -h, --help        this text

Exit codes:
  0  reported (whatever the host's state)
  1  FILE is not a valid desired state, or the root cannot be read`;

export async function statusCommand(argv: string[], cwd: string): Promise<number> {
  const { values } = parse('status', argv, { ...fileOption, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return ExitCode.ok;
  }
  const desired = await loadDesired(path.resolve(cwd, values.file as string));
  const report = await statusReport(desired);
  process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : formatStatus(report)}\n`);
  return ExitCode.ok;
}
