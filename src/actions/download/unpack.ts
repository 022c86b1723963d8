import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';

/** What the extracting thread is started with. */
export interface ExtractData {
  dir: string;
}

/** main thread → extracting thread */
export type ToExtract = { kind: 'data'; buf: ArrayBuffer; length: number } | { kind: 'end' } | { kind: 'stop'; reason: string };

/** extracting thread → main thread */
export type FromExtract =
  /** a buffer of the tar stream, parsed and written: lent back for the next one */
  | { kind: 'lent-back'; buf: ArrayBuffer }
  /** the end, either way; every file it opened is closed */
  | { kind: 'settled'; topFolder: string | null; refusal: string | null; error: { message: string; code: string | undefined } | null };

/**
 * gunzip's output chunk, and the size of the buffers lent to the extracting thread. Each chunk is
 * a round trip to the thread pool and a callback on the main thread, which also reads the network
 * and hashes: Node's default (16 KiB) makes inflate cost about twice what it does with 256 KiB
 * chunks on a real-size release (bench/stages.ts), and 1 MiB takes some 5 % less CPU again
 * than 256 KiB for about 3 MB more peak memory.
 */
export const GUNZIP_CHUNK = 1024 * 1024;
/**
 * gzip input is handed to gunzip in batches of this size, copied out of the network's reads (16 to
 * 64 KiB each): gunzip inflates each write it is given in one or more round trips to the thread
 * pool, and a round trip per network read made the inflate wait on the main thread and on the
 * thread pool's wake-ups some 1800 times per real-size release, rather than about 350. Two
 * batches may wait for gunzip (its stream's high-water mark), so that inflating does not wait for
 * the main thread to read and hash the next one, nor the other way round.
 */
const GUNZIP_BATCH = 1024 * 1024;
const GUNZIP_QUEUE = 2 * GUNZIP_BATCH;
/** buffers of the tar stream lent to the extracting thread before gunzip is paused (resumed at half): 4 MiB ahead of the writes */
const LENT_MAX = 4;

/**
 * The extracting thread's module: beside this one in the build (dist/src/..., and
 * dist/bin/chunks/ in the bundle); when this module is loaded from its TypeScript source (the
 * test runner), the thread still runs the build.
 */
const THREAD = import.meta.url.endsWith('.ts')
  ? new URL('../../../dist/src/actions/download/extract-thread.js', import.meta.url)
  : new URL('./extract-thread.js', import.meta.url);

/**
 * The unpacking side of a download: gzip bytes in → gunzip → (size budget) → tar entry policy →
 * files under `dir`. Runs concurrently with the network side that feeds it, on three threads:
 * inflate on the thread pool; the tar stream it produces copied on the main thread into a few
 * buffers that are lent, in turn, to an extracting thread (extract-thread.ts), which parses the
 * entries, checks them and writes the files with blocking calls of its own. The main thread
 * never waits on a disk, and the inflate never waits on the writes unless LENT_MAX buffers are
 * ahead of them.
 *
 * gunzip stays on the main thread for memory's sake: it allocates a buffer per output chunk, and
 * there they go back to the allocator at once (a minor collection every few MiB,
 * src/runtime/gc.ts). With gunzip on the extracting thread, that thread's allocator arena kept
 * some 20 MB more at its peak for a 300 MiB release (measured with bench/memory.ts).
 *
 * However it stops (the end of the body, damaged data, a refused entry, the budget, a full disk,
 * the network side failing), `settled` resolves only once the extracting thread has closed every
 * file it opened and has exited: a file left open would keep its blocks allocated after the
 * staging folder is removed, for as long as glr lives (for ever, under `glr watch`).
 */
export class Unpack {
  /** why the tar entry policy refused the release (the first entry that broke it), or null */
  refusal: string | null = null;
  /** the first error of the unpacking, or null; set before `settled` resolves */
  error: unknown = null;
  /** resolves when the unpacking has ended, either way, its files closed (never rejects) */
  readonly settled: Promise<void>;
  /** bytes out of gunzip (the tarball unpacked) */
  unpacked = 0;
  /** the release's top folder (stripped), known once settled; null for an empty tarball */
  topFolder: string | null = null;
  /** how many bytes the tarball may unpack to (set before the first write: the disk's free space less the reserve) */
  budget = Infinity;

  private readonly gunzip: zlib.Gunzip;
  private readonly thread: Worker;
  private readonly spare: Buffer[] = [];
  private filling: Buffer | null = null;
  private filled = 0;
  private lent = 0;
  /** the batch of gzip input being filled, and spare ones gunzip has finished with */
  private batch: Buffer | null = null;
  private batched = 0;
  private readonly spareBatches: Buffer[] = [];
  private ending = false;
  private stopSent = false;
  /** the extracting thread has said its last word (or died) */
  private over = false;

  constructor(dir: string) {
    // (zlib passes its options on to its stream, highWaterMark included; the types omit it)
    this.gunzip = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK, highWaterMark: GUNZIP_QUEUE } as zlib.ZlibOptions);
    this.thread = new Worker(THREAD, { workerData: { dir } satisfies ExtractData });
    const { gunzip, thread } = this;
    this.settled = new Promise<void>((resolve) => {
      thread.on('message', (m: FromExtract) => {
        if (m.kind === 'lent-back') {
          this.spare.push(Buffer.from(m.buf));
          this.lent--;
          if (gunzip.isPaused() && this.lent <= LENT_MAX / 2) gunzip.resume();
          return;
        }
        this.topFolder = m.topFolder;
        this.refusal = m.refusal;
        if (m.error) this.fail(Object.assign(new Error(m.error.message), m.error.code === undefined ? {} : { code: m.error.code }));
        this.finished();
      });
      thread.on('error', (e: unknown) => {
        this.fail(e);
        this.finished();
      });
      thread.on('exit', () => {
        if (!this.over) this.fail(new Error('the extracting thread ended without a word'));
        this.finished();
        resolve();
      });
    });
    // until it is given something to do, the thread alone keeps no process alive (a pass left
    // waiting on nothing else must still be seen to drain: src/cli/main.ts); after its
    // listeners, which would take the reference again
    thread.unref();
    gunzip.on('error', (e: unknown) => this.fail(e));
    gunzip.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      this.unpacked += chunk.length;
      if (this.unpacked > this.budget) {
        this.fail(Object.assign(new Error('over budget'), { code: 'GLR_OVER_BUDGET' }));
        return;
      }
      for (let off = 0; off < chunk.length;) {
        this.filling ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(GUNZIP_CHUNK);
        const n = chunk.copy(this.filling, this.filled, off);
        off += n;
        this.filled += n;
        if (this.filled === this.filling.length) this.lend();
      }
    });
    gunzip.on('end', () => {
      if (this.stopped) return;
      this.lend();
      this.ending = true;
      this.post({ kind: 'end' });
    });
  }

  /** true once the unpacking has failed or is ending: write() then only returns */
  get stopped(): boolean {
    return this.ending || this.over || this.gunzip.destroyed;
  }

  /**
   * Feeds gzip bytes; resolves when more may be fed. Never waits on a stopped unpacking: a
   * failure anywhere in it destroys gunzip, which wakes the wait.
   */
  async write(chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length && !this.stopped;) {
      this.batch ??= this.spareBatches.pop() ?? Buffer.allocUnsafeSlow(GUNZIP_BATCH);
      const n = chunk.copy(this.batch, this.batched, off);
      off += n;
      this.batched += n;
      if (this.batched === this.batch.length) await this.inflateBatch();
    }
  }

  /** hands the batch being filled to gunzip; it is reused once gunzip has read it */
  private async inflateBatch(): Promise<void> {
    const batch = this.batch!;
    const length = this.batched;
    this.batch = null;
    this.batched = 0;
    if (this.stopped) return;
    const more = this.gunzip.write(length === batch.length ? batch : batch.subarray(0, length), () => this.spareBatches.push(batch));
    if (more || this.stopped) return;
    // 'close' comes after any destroy
    await new Promise<void>((resolve) => {
      const go = () => {
        this.gunzip.off('drain', go);
        this.gunzip.off('close', go);
        resolve();
      };
      this.gunzip.on('drain', go);
      this.gunzip.on('close', go);
    });
  }

  /** the body is complete: let the unpacking finish, and wait for it */
  async end(): Promise<void> {
    if (this.batched > 0) await this.inflateBatch();
    if (!this.stopped) this.gunzip.end();
    await this.settled;
  }

  /** stops the unpacking (the transfer failed, or glr is interrupted) and waits until it has let go */
  async stop(reason: Error): Promise<void> {
    this.fail(reason);
    await this.settled;
  }

  /** the download is over, whichever way: stops the unpacking if it still runs, and waits until it has let go */
  async abandon(): Promise<void> {
    if (!this.over) this.fail(new Error('the download ended before the unpacking'));
    await this.settled;
  }

  /** lends the buffer being filled (full, or the last one) to the extracting thread */
  private lend(): void {
    const buf = this.filling;
    if (buf === null || this.filled === 0) return;
    const ab = buf.buffer as ArrayBuffer;
    this.post({ kind: 'data', buf: ab, length: this.filled }, [ab]);
    this.filling = null;
    this.filled = 0;
    if (++this.lent >= LENT_MAX) this.gunzip.pause();
  }

  private post(m: ToExtract, transfer: ArrayBuffer[] = []): void {
    if (this.over) return;
    this.thread.ref();
    this.thread.postMessage(m, transfer);
  }

  /**
   * The first failure is the one reported; any failure stops inflating and tells the extracting
   * thread to stop (it closes its file and says its last word).
   */
  private fail(e: unknown): void {
    this.error ??= e;
    if (!this.gunzip.destroyed) this.gunzip.destroy();
    if (!this.over && !this.stopSent) {
      this.stopSent = true;
      this.post({ kind: 'stop', reason: e instanceof Error ? e.message : String(e) });
    }
  }

  /** the extracting thread has spoken its last (or died): nothing more is sent to it */
  private finished(): void {
    this.over = true;
    if (!this.gunzip.destroyed) this.gunzip.destroy();
  }
}
