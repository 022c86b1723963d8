import path from 'node:path';
import { emptyTrash, removeVersionFolder } from '../../actions/retention.js';
import { loadDesired } from '../../desired/load.js';
import { ExitCode, refuse } from '../../errors.js';
import { observe } from '../../observe/observe.js';
import { retentionNow, retentionWhy, totalBytes, type Retention } from '../../plan/retention.js';
import { acquireLock } from '../../runtime/lock.js';
import type { Logger } from '../../runtime/logger.js';
import { size } from '../../runtime/text.js';
import { fileOption, parse } from '../args.js';

export const help = `glr prune [-f FILE] [--dry-run] [--json]

Remove the prepared version folders that retention does not keep. Never removed: the running
version, the last known-good one (the version it replaced), a version an open journal names,
the desired version, the shared DB folders (vX.Y/), and anything glr did not prepare or adopt
(no .glr-prepared). Releases that were rolled back (bad) go first; of the others the \`retain\`
newest (by preparation time; FILE's retain:, default 3) stay. glr reconcile and glr watch do
the same after each successful apply.

Each folder is renamed aside under {root}/.glr/trash, then deleted: a kill at any instant leaves
nothing half-deleted in the root, and the next prune (or reconcile) finishes the trash first.
Takes the root's lock.

  -f, --file FILE   the desired state (default ./desired-state.yaml)
      --dry-run     list what would be removed (and what is kept, and why); write nothing
      --json        print the result as JSON ({"version": 1, ...}; see docs/operator-guide.md)
  -h, --help        this text

Exit codes:
  0  done: removed what retention does not keep (or there was nothing), or --dry-run listed it
  1  refused (FILE invalid, no root, another glr holds the lock) or a folder could not be removed`;

interface PruneEntry {
  version: string;
  why: string;
  preparedAt: string;
  bytes: number | null;
}

/** `glr prune --json`, version 1. */
export interface PruneReport {
  version: 1;
  root: string;
  dryRun: boolean;
  retain: number;
  running: string | null;
  lastKnownGood: string | null;
  /** what retention removes (with --dry-run: would remove), in order; `removed` false with `skipped` when left */
  remove: (PruneEntry & { removed: boolean; skipped: string | null })[];
  keep: PruneEntry[];
  untouched: { version: string; why: string }[];
  /** the disk space of the folders removed (with --dry-run: that would be), null when not all known */
  freedBytes: number | null;
  /** what an interrupted removal had left under .glr/trash, deleted first */
  finishedTrash: string[];
}

export async function pruneCommand(argv: string[], log: Logger, cwd: string): Promise<number> {
  const { values } = parse('prune', argv, { ...fileOption, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return ExitCode.ok;
  }
  const desired = await loadDesired(path.resolve(cwd, values.file as string));
  const { layout } = desired;
  const dryRun = Boolean(values['dry-run']);
  const lock = dryRun ? null : await acquireLock(desired.root, 'prune');
  let report: PruneReport;
  try {
    const finishedTrash = dryRun ? [] : await emptyTrash(layout, log);
    const o = await observe(desired, { sizes: true });
    if (!o.root.isDir) throw refuse(`root ${desired.root} does not exist or is not a folder; set \`root:\` in the file to the node root`);
    const r = retentionNow(desired, o);
    report = reportOf(desired.root, dryRun, r, finishedTrash);
    if (!dryRun) {
      for (const entry of report.remove) {
        try {
          const done = await removeVersionFolder(layout, log, entry.version);
          entry.removed = done.skipped === null;
          entry.skipped = done.skipped;
        } catch (e) {
          entry.skipped = `could not remove it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
          log.error({ err: e, version: entry.version }, `could not remove ${entry.version}`);
        }
      }
      report.freedBytes = totalBytes(report.remove.filter((x) => x.removed));
    }
  } finally {
    await lock?.release();
  }
  process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : formatPrune(report)}\n`);
  const failed = report.remove.filter((x) => x.skipped?.startsWith('could not'));
  if (failed.length) throw refuse(`could not remove ${failed.map((x) => x.version).join(', ')}; see the log above`);
  return ExitCode.ok;
}

function reportOf(root: string, dryRun: boolean, r: Retention, finishedTrash: string[]): PruneReport {
  const entry = (x: Retention['keep'][number] | Retention['remove'][number]): PruneEntry => ({
    version: x.version,
    why: x.why,
    preparedAt: x.preparedAt,
    bytes: x.bytes,
  });
  return {
    version: 1,
    root,
    dryRun,
    retain: r.retain,
    running: r.running,
    lastKnownGood: r.lastKnownGood,
    remove: r.remove.map((x) => ({ ...entry(x), removed: false, skipped: null })),
    keep: r.keep.map(entry),
    untouched: r.untouched,
    freedBytes: totalBytes(r.remove),
    finishedTrash,
  };
}

function formatPrune(p: PruneReport): string {
  const out: string[] = [];
  const bytes = (n: number | null) => (n === null ? '?' : size(n));
  const why = (w: string) => retentionWhy(w, p.retain);
  if (p.finishedTrash.length) out.push(`finished an interrupted removal: ${p.finishedTrash.join(', ')}`);
  if (!p.remove.length) out.push(`nothing to remove under ${p.root} (retain ${p.retain})`);
  for (const x of p.remove) {
    const verb = p.dryRun ? 'would remove' : x.removed ? 'removed' : 'kept';
    out.push(`${verb.padEnd(12)} ${x.version.padEnd(9)} ${bytes(x.bytes).padStart(9)}  ${why(x.why)}${x.skipped ? ` (${x.skipped})` : ''}`);
  }
  if (p.remove.length) out.push(`${p.dryRun ? 'would free' : 'freed'} ${bytes(p.freedBytes)}`);
  if (p.keep.length) out.push(`kept: ${p.keep.map((k) => `${k.version} (${why(k.why)})`).join(', ')}`);
  if (p.untouched.length) out.push(`never touched: ${p.untouched.map((u) => `${u.version} (${u.why === 'not-glr' ? "not glr's" : 'unfinished'})`).join(', ')}`);
  return out.join('\n');
}
