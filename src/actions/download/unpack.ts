import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { TarPolicy } from '../tar-policy.js';

/**
 * gunzip's output chunk. Node's default (16 KiB) makes inflate cost 2.3× what it does with
 * 256 KiB chunks on a real-size release (bench/stages.ts: 1.5 s against 0.66 s for 300 MiB): each
 * chunk is a round trip to the thread pool and a stream hop. Larger than 256 KiB gains nothing.
 */
export const GUNZIP_CHUNK = 256 * 1024;

/**
 * The unpacking side of a download: gzip bytes in → gunzip → (size budget) → tar entry policy →
 * files under `dir`. Runs concurrently with the network side that writes into it: inflate on the
 * thread pool, tar parsing and the writes' dispatch on the main thread, the writes themselves on
 * the thread pool again.
 */
export class Unpack {
  readonly policy = new TarPolicy();
  /** why the tar entry policy refused the release (the first entry that broke it), or null */
  refusal: string | null = null;
  /** the first error of the unpacking, or null; set before `settled` resolves */
  error: unknown = null;
  /** resolves when the unpacking has ended, either way (never rejects) */
  readonly settled: Promise<void>;
  /** bytes written out of gunzip (the tarball unpacked) */
  unpacked = 0;

  private readonly gunzip = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK });

  constructor(dir: string, budget: number) {
    const extract = tar.x({
      cwd: dir,
      strip: 1,
      strict: true,
      preserveOwner: false,
      filter: (p, entry) => {
        const why = this.policy.check(p, entry as unknown as { type: string; linkpath?: string });
        if (why && this.refusal === null) {
          this.refusal = why;
          extract.abort(Object.assign(new Error(why), { code: 'GLR_UNSAFE_TAR' }));
        }
        return why === null;
      },
    });
    const meter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.unpacked += chunk.length;
        if (this.unpacked > budget) {
          done(Object.assign(new Error('over budget'), { code: 'GLR_OVER_BUDGET' }));
          return;
        }
        done(null, chunk);
      },
    });
    this.settled = pipeline(this.gunzip, meter, extract).then(
      () => undefined,
      (e: unknown) => {
        this.error ??= e;
      },
    );
  }

  /** true once the unpacking has failed or been stopped: write() then only returns */
  get stopped(): boolean {
    return this.error !== null || this.gunzip.destroyed;
  }

  /**
   * Feeds gzip bytes; resolves when more may be fed. Never waits on a stopped unpacking: a
   * failure anywhere in it destroys gunzip, which wakes the wait.
   */
  async write(chunk: Buffer): Promise<void> {
    if (this.stopped) return;
    if (this.gunzip.write(chunk)) return;
    if (this.stopped) return;
    // 'close' comes after any destroy, also when the failure was further down the pipeline
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
    if (!this.gunzip.destroyed) this.gunzip.destroy(reason);
    await this.settled;
  }
}
