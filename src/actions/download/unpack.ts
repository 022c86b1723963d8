import zlib from 'node:zlib';
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';
import { TarPolicy } from '../tar-policy.js';
import { Extract } from './extract.js';

/**
 * gunzip's output chunk. Each chunk is a round trip to the thread pool and a callback on the main
 * thread: Node's default (16 KiB) makes inflate cost about twice what it does with 256 KiB chunks
 * on a real-size release, and 1 MiB inflates fastest (bench/stages.ts).
 */
const GUNZIP_CHUNK = 1024 * 1024;
/**
 * gzip input is handed to gunzip in batches of this size, copied out of the network's reads (16 to
 * 64 KiB each): gunzip inflates each write it is given in round trips of its own, and one per
 * network read made the inflate wait for the main thread and for the thread pool's wake-ups some
 * 1800 times per real-size release rather than about 350. Two batches may wait for gunzip (its
 * stream's high-water mark), so that the inflate does not wait for the main thread to read and
 * hash the next one, nor the other way round.
 */
const GUNZIP_BATCH = 1024 * 1024;
/** inflated bytes waiting to be written before gunzip is paused (and resumed at half) */
const QUEUE_MAX = 4 * 1024 * 1024;
/** written per turn of the event loop */
const SLICE = 256 * 1024;

/**
 * The unpacking side of a download: gzip bytes in → gunzip → (size budget) → tar entries → tar
 * policy → files under `dir`, working while the network side feeds it.
 *
 * The inflate, the slowest stage (docs/benchmarks.md), runs on Node's thread pool and must never
 * wait for anything but its input. So each gunzip output chunk is only queued when it comes out,
 * the next inflate starts at once, and the queue is parsed (node-tar's parser) and written
 * (extract.ts: blocking calls, a file's own system calls and no more) a slice per turn of the event
 * loop, so that the next chunk's completion, and the network's next read, are picked up between
 * two slices. Measured against an extracting thread of its own (the writes off the main thread),
 * this is as fast, takes less CPU (no copies, no messages between threads) and some 15 MB less
 * peak memory (no second JavaScript heap): the writes of a slice to the page cache are short
 * beside the inflate of a chunk.
 *
 * However it stops (the end of the body, damaged data, a refused entry, the budget, a full disk,
 * the network side failing), the file being written is closed before `settled` resolves: a file
 * left open would keep its blocks allocated after the staging folder is removed, for as long as
 * glr lives (for ever, under `glr watch`).
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

  private readonly policy = new TarPolicy();
  private readonly out: Extract;
  private readonly gunzip: zlib.Gunzip;
  private readonly parser = new Parser({ strict: true });
  /** gunzip's output chunks waiting to be written */
  private readonly queue: Buffer[] = [];
  private queued = 0;
  /** the batch of gzip input being filled, and spare ones gunzip has finished with */
  private batch: Buffer | null = null;
  private batched = 0;
  private readonly spareBatches: Buffer[] = [];
  private scheduled = false;
  private inflated = false;
  private ending = false;
  private over = false;
  private onSettled!: () => void;

  /** `budget`: how many bytes the tarball may unpack to (the disk's free space less the reserve) */
  constructor(
    dir: string,
    private readonly budget: number,
  ) {
    this.out = new Extract(dir);
    this.settled = new Promise<void>((resolve) => (this.onSettled = resolve));
    // (zlib passes its options on to its stream, highWaterMark included; the types omit it)
    this.gunzip = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK, highWaterMark: 2 * GUNZIP_BATCH } as zlib.ZlibOptions);
    const { gunzip, parser, out } = this;
    parser.on(
      'entry',
      this.guard((entry: ReadEntry) => {
        const why = this.policy.check(entry.path, entry);
        if (why !== null) {
          this.refusal = why;
          entry.resume();
          this.fail(Object.assign(new Error(why), { code: 'GLR_UNSAFE_TAR' }));
          return;
        }
        out.begin(entry);
        entry.on(
          'data',
          this.guard((c: Buffer) => out.data(c)),
        );
        entry.on(
          'end',
          this.guard(() => out.end()),
        );
      }),
    );
    parser.on('error', (e: unknown) => this.fail(e));
    parser.on(
      'end',
      this.guard(() => {
        out.finish();
        this.settle();
      }),
    );
    gunzip.on('error', (e: unknown) => this.fail(e));
    gunzip.on('data', (chunk: Buffer) => {
      if (this.over) return;
      this.unpacked += chunk.length;
      if (this.unpacked > this.budget) {
        this.fail(Object.assign(new Error('over budget'), { code: 'GLR_OVER_BUDGET' }));
        return;
      }
      this.queue.push(chunk);
      this.queued += chunk.length;
      if (this.queued > QUEUE_MAX) gunzip.pause();
      this.schedule();
    });
    gunzip.on('end', () => {
      this.inflated = true;
      this.schedule();
    });
  }

  /** the release's top folder (stripped); null for an empty tarball */
  get topFolder(): string | null {
    return this.policy.topFolder;
  }

  /** true once the unpacking has failed or is ending: write() then only returns */
  get stopped(): boolean {
    return this.ending || this.over;
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

  /** the body is complete: let the unpacking finish, and wait for it */
  async end(): Promise<void> {
    if (this.batched > 0) await this.inflateBatch();
    if (!this.stopped) {
      this.ending = true;
      this.gunzip.end();
    }
    await this.settled;
  }

  /** stops the unpacking (the transfer failed, or glr is interrupted) and waits until it has let go */
  async stop(reason: Error): Promise<void> {
    this.fail(reason);
    await this.settled;
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

  private schedule(): void {
    if (this.scheduled || this.over) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  /** One slice of the queue to the parser (and so to disk); the tar stream ends after the gzip one. */
  private turn(): void {
    this.scheduled = false;
    if (this.over) return;
    try {
      const head = this.queue[0];
      if (head !== undefined) {
        const slice = head.length > SLICE ? head.subarray(0, SLICE) : head;
        if (slice === head) this.queue.shift();
        else this.queue[0] = head.subarray(SLICE);
        this.queued -= slice.length;
        if (this.gunzip.isPaused() && this.queued <= QUEUE_MAX / 2) this.gunzip.resume();
        this.parser.write(slice);
      }
      if (this.queue.length) this.schedule();
      else if (this.inflated) this.parser.end();
    } catch (e) {
      this.fail(e);
    }
  }

  /** a parser callback that turns a throw into the unpacking's failure, and does nothing once it is over */
  private guard<A extends unknown[]>(f: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      if (this.over) return;
      try {
        f(...a);
      } catch (e) {
        this.fail(e);
      }
    };
  }

  /** The first failure is the one reported; any failure stops inflating and closes the file being written. */
  private fail(e: unknown): void {
    this.error ??= e;
    this.settle();
  }

  private settle(): void {
    if (this.over) return;
    this.over = true;
    this.out.abandon();
    if (!this.gunzip.destroyed) this.gunzip.destroy();
    this.queue.length = 0;
    this.onSettled();
  }
}
