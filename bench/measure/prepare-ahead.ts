/**
 * Issue 14, not measured yet: from `glr bump` to healthy on the new version, with and without
 * `prepareAhead: patch` (the watcher preparing the newest patch release ahead of time, so that a
 * bump only switches). glr has no prepareAhead yet; this stub is skipped with a note and keeps the
 * figure's place in docs/benchmarks.md. When it lands: two fresh hosts under `glr watch`, one with
 * `prepareAhead: patch`, publish the real-size release, wait until it is prepared ahead on the
 * second, then `glr bump` both and measure bump → healthy (the outside prober) on each.
 */
import type { Fixtures } from '../lib/fixtures.js';

export interface PrepareAhead {
  skipped: string;
}

export function prepareAhead(_f: Fixtures): Promise<PrepareAhead> {
  return Promise.resolve({ skipped: 'Not measured: glr has no prepareAhead yet' });
}
