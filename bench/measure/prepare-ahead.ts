/**
 * From `glr bump` to healthy on the new version, with and without `prepareAhead: patch`
 * (the watcher preparing the newest patch release of the running series ahead of time, so that a
 * bump only switches). Each sample: a fresh host under `glr watch`, the real-size release served
 * at the throttled rate; with prepareAhead the bump waits until the watcher says the release is
 * prepared ahead. Then the real `glr bump VERSION -f FILE`, and the outside prober's first healthy
 * answer on the new version. The watcher polls every 5 s (`--interval`, a flag an operator sets;
 * it only decides how soon the release is prepared ahead, not the figure).
 */
import { waitFor } from '../../sandbox/host.js';
import { now, say } from '../lib/clock.js';
import { NEW, OLD, throttle, withHost, type Fixtures } from '../lib/fixtures.js';
import { GLR, REPO, startWatch } from '../lib/glr.js';
import { Prober } from '../lib/prober.js';
import { defaultEnv, runOk } from '../lib/proc.js';

export interface PrepareAhead {
  /** bump → healthy (ms), without prepareAhead */
  without: number[];
  /** bump → healthy (ms), with prepareAhead: patch, once the release was prepared ahead */
  with: number[];
}

async function sample(f: Fixtures, ahead: boolean): Promise<number> {
  return withHost(f.big, async (host) => {
    const extra = ahead ? 'prepareAhead: patch' : '';
    const file = host.writeDesired({ version: OLD, providers: null, extra });
    const watch = startWatch(file, 5);
    const logged = (re: RegExp) => watch.log().some((l) => re.test(l.msg));
    let prober: Prober | null = null;
    try {
      await waitFor(() => logged(ahead ? new RegExp(`^${NEW.replaceAll('.', '\\.')} is prepared ahead`) : /^converged/), {
        timeoutMs: 180_000,
        what: ahead ? 'the release to be prepared ahead' : 'the first pass',
      });
      prober = await Prober.start(host.healthUrl);
      const t0 = now();
      await runOk([process.execPath, GLR, 'bump', NEW, '-f', file], { env: defaultEnv(), cwd: REPO });
      const healthy = await prober.healthyOn(NEW, t0, 180_000);
      return healthy.at - t0;
    } finally {
      await prober?.stop();
      await watch.stop();
    }
  });
}

export async function prepareAhead(f: Fixtures): Promise<PrepareAhead> {
  throttle(f, f.o.rateBps);
  const out: PrepareAhead = { without: [], with: [] };
  try {
    for (let i = 0; i < f.o.fewRounds; i++) {
      out.without.push(await sample(f, false));
      out.with.push(await sample(f, true));
      say(`prepareAhead round ${i + 1}: bump → healthy ${Math.round(out.without.at(-1)!)} ms without, ${Math.round(out.with.at(-1)!)} ms with`);
    }
  } finally {
    throttle(f, null);
  }
  return out;
}
