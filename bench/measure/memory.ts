/**
 * 3. Peak RSS of a whole `glr reconcile` (GNU time's %M) at two release sizes: the real-size one
 * comes from the end-to-end rounds; here the smaller one, at the same rates, on fresh hosts.
 */
import { freshHost, MID, retire, throttle, type Fixtures } from '../lib/fixtures.js';
import { glr } from '../lib/glr.js';
import type { Rate } from './end-to-end.js';

export interface Memory {
  /** per rate: peak RSS (KiB) of each run with the smaller release */
  mid: Record<string, number[]>;
}

export async function memory(f: Fixtures, rates: Rate[]): Promise<Memory> {
  const mid: Memory['mid'] = {};
  for (const rate of rates) mid[rate.name] = [];
  for (let i = 0; i < f.o.fewRounds; i++) {
    for (const rate of rates) {
      throttle(f, rate.bps);
      const host = await freshHost(f.big);
      try {
        const r = await glr(['reconcile', '--json', '-f', host.writeDesired({ version: MID, timeoutSeconds: 60 })]);
        if (r.code !== 0) throw new Error(`glr reconcile to ${MID} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
        mid[rate.name]!.push(r.peakRssKb);
      } finally {
        await retire(host);
      }
    }
  }
  throttle(f, null);
  return { mid };
}
