import { createRequire } from 'node:module';

/**
 * CRC-32C (Castagnoli), as GCS sends it in `x-goog-hash`.
 *
 * `@node-rs/crc32` computes it with the CPU's own instruction (SSE 4.2, ARMv8 CRC): 26 ms for
 * 110 MB on this project's machine, against 107 ms warm (160 ms in a cold glr) for the slice-by-8
 * table below. It runs on the main thread, which also reads the network and writes the release,
 * so that difference is time the download waits (docs/benchmarks.md). It is a native addon, kept
 * out of the bundle and loaded from node_modules; where it cannot load (a platform it has no build
 * for, a copy of the bundle without node_modules) the table computes the same sum.
 */
type Native = (input: Buffer, initialState?: number) => number;

function loadNative(): Native | null {
  try {
    const m = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
    return typeof m.crc32c === 'function' ? (m.crc32c as Native) : null;
  } catch {
    return null;
  }
}

const native = loadNative();

/** the table's sum: slice-by-8 over 32-bit words, about 1.2 GB/s in V8 on one core */
const POLY = 0x82f63b78;
const T = new Int32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let k = 1; k < 8; k++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}

export class Crc32c {
  /** the CPU's instruction, or null for the table */
  private readonly fn: Native | null;
  /** the running sum: finished with the instruction (its API takes and returns that), inverted with the table */
  private crc: number;

  /** `o.table` forces the table (the tests compare the two) */
  constructor(o: { table?: boolean } = {}) {
    this.fn = o.table ? null : native;
    this.crc = this.fn ? 0 : ~0;
  }

  /** true when this process computes it with the CPU's instruction */
  static get native(): boolean {
    return native !== null;
  }

  update(b: Buffer): this {
    if (this.fn) {
      this.crc = this.fn(b, this.crc);
      return this;
    }
    let crc = this.crc;
    const n = b.length;
    const end = n - (n & 7);
    let i = 0;
    for (; i < end; i += 8) {
      const lo = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) ^ crc;
      crc =
        T[1792 + (lo & 0xff)]! ^
        T[1536 + ((lo >>> 8) & 0xff)]! ^
        T[1280 + ((lo >>> 16) & 0xff)]! ^
        T[1024 + (lo >>> 24)]! ^
        T[768 + b[i + 4]!]! ^
        T[512 + b[i + 5]!]! ^
        T[256 + b[i + 6]!]! ^
        T[b[i + 7]!]!;
    }
    for (; i < n; i++) crc = T[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
    this.crc = crc;
    return this;
  }

  /** the checksum as an unsigned 32-bit number */
  digest(): number {
    return this.fn ? this.crc >>> 0 : ~this.crc >>> 0;
  }

  /** big-endian, base64: the form of `x-goog-hash: crc32c=...` */
  base64(): string {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.digest());
    return b.toString('base64');
  }
}
