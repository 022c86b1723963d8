import zlib from 'node:zlib';
import * as tar from 'tar';
import { TarPolicy } from '../tar-policy.js';

/**
 * gunzip's output chunk. Node's default (16 KiB) makes inflate cost about twice what it does
 * with 256 KiB chunks on a real-size release (bench/stages.ts): each chunk is a round trip to the
 * thread pool and a stream hop. Larger chunks gain nothing more.
 */
export const GUNZIP_CHUNK = 256 * 1024;
/**
 * How much gzip input may wait for gunzip (its stream's high-water mark; Node's default is
 * 16 KiB, less than one network read): room for a few reads, so that inflating on the thread
 * pool does not wait for the main thread to read and hash the next one, and the other way round.
 */
const GUNZIP_QUEUE = 1024 * 1024;

/**
 * The unpacking side of a download: gzip bytes in → gunzip → (size budget) → tar entry policy →
 * files under `dir`. Runs concurrently with the network side that feeds it: inflate on the
 * thread pool, tar parsing and the writes' dispatch on the main thread, the writes themselves on
 * the thread pool again.
 *
 * However it stops (the end of the body, damaged data, a refused entry, the budget, a full disk,
 * the network side failing), the tar side is brought to an end rather than torn down: the entry
 * being written is ended, its file closed, and `settled` resolves only once every file node-tar
 * opened is closed again. A file torn down open would keep its blocks allocated after the staging
 * folder is removed, for as long as glr lives (for ever, under `glr watch`).
 */
export class Unpack {
  readonly policy = new TarPolicy();
  /** why the tar entry policy refused the release (the first entry that broke it), or null */
  refusal: string | null = null;
  /** the first error of the unpacking, or null; set before `settled` resolves */
  error: unknown = null;
  /** resolves when the unpacking has ended, either way, its files closed (never rejects) */
  readonly settled: Promise<void>;
  /** bytes out of gunzip (the tarball unpacked) */
  unpacked = 0;

  private readonly gunzip: zlib.Gunzip;
  private readonly extract: tar.Unpack;
  private ending = false;
  private aborted = false;

  constructor(dir: string, budget: number, o: { chunkSize?: number; highWaterMark?: number } = {}) {
    // (zlib passes its options on to its stream, highWaterMark included; the types omit it)
    const streamOptions = { highWaterMark: o.highWaterMark ?? GUNZIP_QUEUE } as zlib.ZlibOptions;
    this.gunzip = zlib.createGunzip({ chunkSize: o.chunkSize ?? GUNZIP_CHUNK, ...streamOptions });
    const extract = tar.x({
      cwd: dir,
      strip: 1,
      strict: true,
      preserveOwner: false,
      filter: (p, entry) => {
        if (this.refusal !== null) return false;
        const why = this.policy.check(p, entry as unknown as { type: string; linkpath?: string });
        if (why === null) return true;
        this.refusal = why;
        this.fail(Object.assign(new Error(why), { code: 'GLR_UNSAFE_TAR' }));
        return false;
      },
    });
    this.extract = extract;
    const { gunzip } = this;
    this.settled = new Promise<void>((resolve) => {
      extract.on('end', resolve);
      extract.on('close', resolve);
      // node-tar's own abort (it gives up on the archive) ends nothing more: nothing to wait for
      extract.on('abort', () => {
        this.aborted = true;
        resolve();
      });
    });
    extract.on('error', (e: unknown) => this.fail(e));
    extract.on('drain', () => gunzip.resume());
    gunzip.on('error', (e: unknown) => this.fail(e));
    gunzip.on('data', (chunk: Buffer) => {
      if (this.ending) return;
      this.unpacked += chunk.length;
      if (this.unpacked > budget) {
        this.fail(Object.assign(new Error('over budget'), { code: 'GLR_OVER_BUDGET' }));
        return;
      }
      if (!extract.write(chunk)) gunzip.pause();
    });
    gunzip.on('end', () => {
      if (!this.ending) {
        this.ending = true;
        extract.end();
      }
    });
  }

  /** true once the unpacking has failed or is ending: write() then only returns */
  get stopped(): boolean {
    return this.ending || this.gunzip.destroyed;
  }

  /**
   * Feeds gzip bytes; resolves when more may be fed. Never waits on a stopped unpacking: a
   * failure anywhere in it destroys gunzip, which wakes the wait.
   */
  async write(chunk: Buffer): Promise<void> {
    if (this.stopped) return;
    if (this.gunzip.write(chunk)) return;
    if (this.stopped) return;
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
    if (!this.stopped) this.gunzip.end();
    await this.settled;
  }

  /** stops the unpacking (the transfer failed, or glr is interrupted) and waits until it has let go */
  async stop(reason: Error): Promise<void> {
    this.fail(reason);
    await this.settled;
  }

  /**
   * The first failure is the one reported; any failure stops inflating and ends the tar side
   * (on the next turn: the filter calls this from inside node-tar's parsing).
   */
  private fail(e: unknown): void {
    this.error ??= e;
    if (this.ending) return;
    this.ending = true;
    this.gunzip.destroy();
    setImmediate(() => {
      if (!this.aborted) this.extract.end();
    });
  }
}
