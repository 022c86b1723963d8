import type { Desired } from '../desired/types.js';
import type { Observed } from '../observe/types.js';
import { lastKnownGood, linkedVersions, runningVersion, selectRetention, type Retention } from '../observe/retention.js';

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
  const before = runningVersion(o);
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
  });
}
