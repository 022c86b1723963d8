import path from 'node:path';
import { loadDesired } from '../../desired/load.js';
import { ExitCode } from '../../errors.js';
import { observe } from '../../observe/observe.js';
import { readSyncedBlock } from '../../runtime/health.js';
import { parse, fileOption } from '../args.js';
import { formatStatus } from '../format.js';

export const help = `glr status [-f FILE] [--json]

What runs, where the links point, health, prepared versions, the last result.
Reads only; takes no lock.

  -f, --file FILE   the desired state (default ./desired-state.yaml)
      --json        print the observation as JSON
  -h, --help        this text`;

export async function statusCommand(argv: string[], cwd: string): Promise<number> {
  const { values } = parse('status', argv, { ...fileOption, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return ExitCode.ok;
  }
  const desired = await loadDesired(path.resolve(cwd, values.file as string));
  const [o, syncedBlock] = await Promise.all([observe(desired), readSyncedBlock(desired.health.url)]);
  process.stdout.write(`${values.json ? JSON.stringify({ ...o, syncedBlock }, null, 2) : formatStatus(o, syncedBlock)}\n`);
  return ExitCode.ok;
}
