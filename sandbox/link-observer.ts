/**
 * A second process that resolves the switch links of a root every few milliseconds, the way any
 * reader of the host would, and records whether it ever saw them split between two version
 * folders.
 *
 *   node link-observer.js ROOT OUT.json [names...]
 *
 * A name ending in `?` may not resolve yet (a link to `current/X` made before the swap, where the
 * running version has no X): while it resolves nowhere it is left out of the sample; once it
 * resolves, it must be in the same version folder as the others.
 * A sample is taken only when two consecutive reads of all the links agree (a stable snapshot),
 * so a reader straddling a single atomic rename is not counted as a split, while links that are
 * really split for a while — as between the runbook's six `ln -sfn` — are caught. On SIGTERM it
 * writes {samples, splits, versionsSeen} to OUT.json and exits. OUT.json.ready is written when it
 * starts, OUT.json.split at the first split it sees.
 */
import { realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RUNBOOK_LINKS } from '../src/layout.js';

const [root, out, ...rest] = process.argv.slice(2);
const given: readonly string[] = rest.length ? rest : RUNBOOK_LINKS;
const names = given.map((n) => n.replace(/\?$/, ''));
const optional = given.map((n) => n.endsWith('?'));
const realRoot = realpathSync(root!);

function read(): string[] {
  return names.flatMap((n, i) => {
    try {
      return [path.relative(realRoot, realpathSync(path.join(root!, n))).split(path.sep)[0]!];
    } catch {
      return optional[i] ? [] : ['dangling'];
    }
  });
}

let samples = 0;
const splits: string[][] = [];
const versionsSeen = new Set<string>();
let stop = false;
process.on('SIGTERM', () => (stop = true));

function tick(): void {
  if (stop) {
    writeFileSync(out!, JSON.stringify({ samples, splits: splits.slice(0, 20), splitCount: splits.length, versionsSeen: [...versionsSeen] }));
    process.exit(0);
  }
  const a = read();
  const b = read();
  if (a.join() === b.join()) {
    samples++;
    const set = new Set(a);
    for (const v of set) versionsSeen.add(v);
    if (set.size > 1) {
      if (splits.length === 0) writeFileSync(`${out}.split`, a.join(' '));
      splits.push(a);
    }
  }
  setTimeout(tick, 2);
}
writeFileSync(`${out}.ready`, '');
tick();
