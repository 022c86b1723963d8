import { createHash, type Hash } from 'node:crypto';
import { refuse } from '../../errors.js';
import { Crc32c } from './crc32c.js';

/** `x-goog-hash: crc32c=..., md5=...`, as one comma-joined header or as several. */
export function parseGoogHash(header: string | string[] | undefined): { md5?: string; crc32c?: string } {
  const out: { md5?: string; crc32c?: string } = {};
  const parts = (Array.isArray(header) ? header : header ? [header] : []).flatMap((h) => h.split(','));
  for (const part of parts) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim().toLowerCase();
    const v = part.slice(i + 1).trim();
    if (k === 'md5') out.md5 = v;
    if (k === 'crc32c') out.crc32c = v;
  }
  return out;
}

/**
 * The hashes a download is checked against, computed as the bytes arrive on the main thread (which
 * also reads the network and writes the release), and only those that are needed (114.6 MB, this
 * project's 2-core machine: sha256 64 ms with SHA-NI, crc32c 26 ms with the CPU's instruction or
 * 107 ms with the table that stands in for it (crc32c.ts), md5 about 160 ms):
 *
 * - sha256 always: the pinned `release.sha256` is checked against it, and the prepared marker
 *   records it, so a later pin can be compared without downloading again;
 * - the bucket's own hash, one of them: crc32c when `x-goog-hash` carries it (Cloud Storage sends
 *   it for every object, composite ones included), md5 only when it carries md5 and no crc32c.
 *   Both detect a transfer corrupted on the way; checking the second one too would find nothing
 *   the first misses, and costs the main thread more than the first.
 */
export class Checksums {
  private readonly sha256 = createHash('sha256');
  private readonly md5: Hash | null;
  private readonly crc32c: Crc32c | null;
  bytes = 0;

  constructor(
    private readonly pinned: string | null,
    private readonly bucket: { md5?: string; crc32c?: string },
  ) {
    this.crc32c = bucket.crc32c !== undefined ? new Crc32c() : null;
    this.md5 = bucket.crc32c === undefined && bucket.md5 !== undefined ? createHash('md5') : null;
  }

  /** true when the body can be checked against something (a pin or the bucket's hash) */
  get canVerify(): boolean {
    return this.pinned !== null || this.md5 !== null || this.crc32c !== null;
  }

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.md5?.update(chunk);
    this.crc32c?.update(chunk);
    this.bytes += chunk.length;
  }

  /**
   * Checks the whole body against the pin and the bucket's hash; throws the refusal of the
   * first that does not match. Returns the sha256 and the names of the hashes checked.
   */
  verify(version: string): { sha256: string; verifiedBy: string[] } {
    const sum = this.sha256.digest('hex');
    const verifiedBy: string[] = [];
    if (this.pinned) {
      if (sum !== this.pinned)
        throw refuse(
          `checksum mismatch for ${version}: release.sha256 is ${this.pinned}, the download is ${sum}; nothing was installed. Check the pinned sum (glr bump ${version} --sha256 ...) or run again if the transfer was corrupted`,
        );
      verifiedBy.push('sha256');
    }
    if (this.md5) {
      if (this.md5.digest('base64') !== this.bucket.md5) throw corrupted(version, 'md5');
      verifiedBy.push('md5');
    }
    if (this.crc32c) {
      if (this.crc32c.base64() !== this.bucket.crc32c) throw corrupted(version, 'crc32c');
      verifiedBy.push('crc32c');
    }
    return { sha256: sum, verifiedBy };
  }
}

function corrupted(version: string, hash: string) {
  return refuse(`the ${version} download does not match the bucket's ${hash} (x-goog-hash); it was corrupted on the way: nothing was installed, run again`);
}
