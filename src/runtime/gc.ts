import v8 from 'node:v8';
import vm from 'node:vm';

type Gc = (o?: { type?: 'minor' | 'major' }) => void;
let gc: Gc | null | undefined;

/**
 * A young-generation collection now, where the runtime allows one (otherwise nothing).
 *
 * Why: streaming a release allocates a fresh buffer for every network read (64 KiB) and every
 * gunzip output chunk (256 KiB) — 400 MiB of short-lived buffers for a 300 MiB release. V8 only
 * collects on "external memory pressure" after tens of MiB of them, and the allocator keeps the
 * high-water mark: a few dozen MiB of RSS for garbage. A minor collection every few MiB (about
 * 0.4 ms each) keeps the peak flat whatever the release's size (bench/memory.ts).
 *
 * `gc` is reached the way the `expose-gc` package does it: the flag set at run time, the function
 * taken from a fresh context. Should a runtime refuse, this does nothing.
 */
export function collectYoung(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const f = vm.runInNewContext('gc') as unknown;
      gc = typeof f === 'function' ? (f as Gc) : null;
    } catch {
      gc = null;
    }
  }
  gc?.({ type: 'minor' });
}
