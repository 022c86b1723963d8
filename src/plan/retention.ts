import type { Desired } from '../desired/types.js';
import { linkedVersion } from '../observe/linked-version.js';
import type { Observed, VersionFolder } from '../observe/types.js';
import { isOpen } from '../runtime/journal-entry.js';

/**
 * Retention, pure: which prepared version folders go (`glr prune`, and the `prune` step that ends
 * a successful apply), and which stay and why: now (`retentionNow`, for `glr prune`, `status` and
 * the disk check before a download, which says what prune would free) and once a plan has
 * succeeded (`retentionAfter`, for the plan's `prune` step).
 *
 * Never removed:
 *   - the running version (what `current` names, or where the runbook links agree) and any
 *     version a top-level link of the root resolves into;
 *   - the last known-good version (`lastKnownGood` below);
 *   - a version an open journal names (an interrupted switch: it leaves one, enters the other);
 *   - the desired version, unless it is a bad release (the next pass would prepare it again);
 *   - anything glr did not prepare or adopt (no `.glr-prepared`: someone else's folder, or one
 *     glr began and did not finish, which the next preparation of that version redoes), and the
 *     shared DB folders (`vX.Y/`), which are not version folders at all;
 *   - a version folder that holds a database: a `data/node/genlayer.db` of its own, or the
 *     desired or running DB (a `sharedDb` set inside it). Retention never removes a DB.
 * Bad releases (rolled back on this host) that are not protected always go, first. Of the other
 * prepared or adopted folders, the `retain` newest by preparation time (`.glr-prepared`'s `at`;
 * an adopted folder, there before glr, counts as older than any glr prepared) stay and the older
 * ones go, oldest first.
 */
export type KeepReason = 'running' | 'linked' | 'last-known-good' | 'journal' | 'desired' | 'just-prepared' | 'database' | 'retained';
export type RemoveReason = 'bad' | 'beyond-retain';

export interface RetainedFolder {
  version: string;
  origin: 'prepared' | 'adopted';
  /** when glr prepared (or adopted) it */
  preparedAt: string;
  /** disk space, when the observation measured it */
  bytes: number | null;
}

export interface Retention {
  retain: number;
  running: string | null;
  lastKnownGood: string | null;
  keep: (RetainedFolder & { why: KeepReason })[];
  /** bad ones first, then the rest oldest first: the order they are removed in */
  remove: (RetainedFolder & { why: RemoveReason })[];
  /** version folders retention never touches */
  untouched: { version: string; why: 'not-glr' | 'unfinished' }[];
}

/** Everything the selection depends on. */
export interface RetentionView {
  retain: number;
  running: string | null;
  /** versions a top-level link of the root (or `current`) resolves into */
  linked: readonly string[];
  lastKnownGood: string | null;
  /** versions an open journal names */
  journal: readonly string[];
  desired: string;
  folders: readonly VersionFolder[];
  bad: readonly string[];
  /** never removed either: the version a prepare-ahead plan has just prepared */
  justPrepared?: string | null;
  /** the folders the DBs in use live in (absolute): a version folder holding one is never removed */
  databases?: readonly string[];
  /** the root, to tell which version folder a DB lives in */
  root?: string;
}

export function selectRetention(v: RetentionView): Retention {
  const keep: Retention['keep'] = [];
  const remove: Retention['remove'] = [];
  const untouched: Retention['untouched'] = [];
  const bad = new Set(v.bad);
  const candidates: RetainedFolder[] = [];
  for (const f of v.folders) {
    if (!f.prepared) {
      untouched.push({ version: f.version, why: f.preparing ? 'unfinished' : 'not-glr' });
      continue;
    }
    const entry: RetainedFolder = { version: f.version, origin: f.prepared.origin, preparedAt: f.prepared.at, bytes: f.bytes ?? null };
    const why = protectedBecause(v, f, bad);
    if (why) keep.push({ ...entry, why });
    else if (bad.has(f.version)) remove.push({ ...entry, why: 'bad' });
    else candidates.push(entry);
  }
  // an adopted folder was there before glr prepared anything: it counts as the oldest
  const key = (c: RetainedFolder) => `${c.origin === 'adopted' ? 0 : 1} ${c.preparedAt} ${c.version}`;
  const newestFirst = candidates.sort((a, b) => (key(a) < key(b) ? 1 : -1));
  newestFirst.forEach((c, i) => (i < v.retain ? keep.push({ ...c, why: 'retained' }) : null));
  remove.push(
    ...newestFirst
      .slice(v.retain)
      .reverse()
      .map((c) => ({ ...c, why: 'beyond-retain' as const })),
  );
  return { retain: v.retain, running: v.running, lastKnownGood: v.lastKnownGood, keep, remove, untouched };
}

function protectedBecause(v: RetentionView, f: VersionFolder, bad: ReadonlySet<string>): KeepReason | null {
  const version = f.version;
  if (version === v.running) return 'running';
  if (f.ownDb || (v.root && (v.databases ?? []).some((db) => db.startsWith(`${v.root}/${version}/`)))) return 'database';
  if (v.linked.includes(version)) return 'linked';
  if (version === v.lastKnownGood) return 'last-known-good';
  if (v.journal.includes(version)) return 'journal';
  if (version === v.justPrepared) return 'just-prepared';
  if (version === v.desired && !bad.has(version)) return 'desired';
  return null;
}

/**
 * The last known-good version: the version the running one replaced, while that one ran healthy.
 * Derived, in this order, from
 *   1. the history: the newest `applied` switch into the running version from another one
 *      (`Observed.history.lastSwitch`); its `from` is it (glr switches away only from a version that
 *      runs healthy, or from a stopped node: either way the one a rollback would return to);
 *   2. the journal, when the history no longer has that line (rotated away): a closed switch
 *      (`done`) into the running version names the version it left;
 *   3. the markers: on a host glr took over, the newest `adopted` folder other than the running
 *      one (adoption marks the version that ran healthy before glr).
 * Null when none of them tells.
 */
export function lastKnownGood(o: Observed, running: string | null): string | null {
  if (running === null) return null;
  const sw = o.history.lastSwitch;
  if (sw && sw.from !== running && linkedVersion(o) === running) return sw.from;
  const j = o.journal;
  if (j && j.phase === 'done' && j.entering === running && j.leaving && j.leaving !== running) return j.leaving;
  const adopted = o.versions
    .filter((f) => f.prepared?.origin === 'adopted' && f.version !== running)
    .sort((a, b) => (a.prepared!.at < b.prepared!.at ? 1 : -1));
  return adopted[0]?.version ?? null;
}

/** What `glr prune` would remove now. */
export function retentionNow(d: Desired, o: Observed): Retention {
  const running = linkedVersion(o);
  return selectRetention({
    retain: d.retain,
    running,
    linked: linkedVersions(o),
    lastKnownGood: lastKnownGood(o, running),
    journal: isOpen(o.journal) ? [o.journal.leaving, o.journal.entering].filter((v): v is string => v !== null) : [],
    desired: d.version,
    folders: o.versions,
    bad: o.bad.map((b) => b.version),
    ...databases(d, o),
  });
}

/** The DBs in use (the desired one, the running one) and the root they are told apart under. */
function databases(d: Desired, o: Observed): { databases: string[]; root: string } {
  const running = o.deployment.runningDb?.target ?? null;
  return { databases: [d.sharedDb, ...(running ? [running] : [])], root: d.root };
}

/**
 * What `glr prune` would free now: the versions it would remove, and their disk space (null when
 * the observation did not measure every one of them; see `observe(…, { sizes: true })`). For the
 * disk check before a download.
 */
export function reclaimable(d: Desired, o: Observed): { versions: string[]; bytes: number | null } {
  const r = retentionNow(d, o).remove;
  return { versions: r.map((x) => x.version), bytes: totalBytes(r) };
}

/** The disk space of these folders together; null when any of them was not measured. */
export function totalBytes(entries: readonly { bytes: number | null }[]): number | null {
  return entries.every((x) => x.bytes !== null) ? entries.reduce((n, x) => n + x.bytes!, 0) : null;
}

/** Why retention removes (or keeps) a folder, as `glr prune` and `glr status` print it. */
export function retentionWhy(why: string, retain: number): string {
  return why === 'bad' ? 'rolled back' : why === 'beyond-retain' ? `beyond retain ${retain}` : why;
}

/** Every version `current` or a switch link resolves into. */
export function linkedVersions(o: Observed): string[] {
  const vs = [o.links.current?.version ?? null, ...o.links.switchLinks.map((l) => l.version)];
  return [...new Set(vs.filter((v): v is string => v !== null))];
}

/**
 * What retention removes once a plan has succeeded (outcome `applied`): `running` runs, the
 * version it left (if another) is the last known-good, the journal is closed, every link goes
 * into `running`, `running` is no bad release any more (a healthy switch to it clears the mark),
 * and `prepared` (the plan's new folder, if any) is there, prepared now.
 */
export function retentionAfter(
  d: Desired,
  o: Observed,
  after: { running: string; leaving: string | null; prepared: string | null; aheadOnly?: boolean },
): Retention {
  const before = linkedVersion(o);
  const moved = after.leaving !== null && after.leaving !== after.running;
  const folders =
    after.prepared === null || o.versions.some((f) => f.version === after.prepared && f.prepared)
      ? o.versions
      : [
          ...o.versions.filter((f) => f.version !== after.prepared),
          {
            version: after.prepared,
            prepared: { version: after.prepared, origin: 'prepared' as const, at: o.at, inputs: { url: null, sha256: null, sharedDb: d.sharedDb } },
            preparing: false,
            ownDb: false,
          },
        ];
  return selectRetention({
    retain: d.retain,
    running: after.running,
    linked: after.aheadOnly ? linkedVersions(o) : [after.running],
    lastKnownGood: moved ? after.leaving : lastKnownGood(o, before),
    journal: [],
    desired: d.version,
    folders,
    bad: o.bad.map((b) => b.version).filter((v) => v !== after.running),
    justPrepared: after.aheadOnly ? after.prepared : null,
    ...databases(d, o),
  });
}
