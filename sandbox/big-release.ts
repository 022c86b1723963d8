/**
 * A fake release of real size, for benchmarks and memory checks: the runnable fake release of
 * `releases.ts` plus `binaryBytes` of "binaries" that compress as real ones do (a real
 * GenLayer release: about 300 MiB of binaries, 115 MB gzipped, ratio ≈ 0.37), in files of the
 * sizes a release ships: a few large libraries and some hundreds of small files. Packed by GNU
 * tar + gzip -6, as releases are, to a file (it is not kept in memory while it is built).
 *
 * The content is deterministic (a fixed-seed generator): a mix of incompressible 64 KiB blocks
 * (like the compressed sections of a binary) and a stream of short tokens from a small
 * vocabulary, which deflate finds as matches, like machine code.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseTopFolder, writeReleaseTree, type ReleaseOptions } from './releases.js';

/** Share of incompressible blocks: with the token stream (ratio ≈ 0.29) it gives ≈ 0.37 overall. */
const RANDOM_SHARE = 0.1;
const BLOCK = 64 * 1024;

class Generator {
  private s = 0x9e3779b9;
  private readonly vocab: Buffer[] = [];
  constructor() {
    for (let i = 0; i < 1024; i++) {
      const b = Buffer.alloc(3 + (this.next() % 24));
      for (let j = 0; j < b.length; j++) b[j] = this.next() % 3 === 0 ? this.next() & 0xff : this.next() & 0x0f;
      this.vocab.push(b);
    }
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  block(n: number): Buffer {
    if (this.next() % 1000 < RANDOM_SHARE * 1000) return randomBytes(n);
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const t = this.vocab[this.next() % this.vocab.length]!;
      o += t.copy(out, o, 0, Math.min(t.length, n - o));
      if (o < n && this.next() % 2 === 0) out[o++] = this.next() & 0xff;
    }
    return out;
  }
}

function writeBinary(file: string, bytes: number, g: Generator): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w', 0o755);
  try {
    for (let o = 0; o < bytes; o += BLOCK) writeSync(fd, g.block(Math.min(BLOCK, bytes - o)));
  } finally {
    closeSync(fd);
  }
}

/**
 * Builds `{version}` with `binaryBytes` of binaries into `out` (a .tar.gz); returns its size.
 * Layout of the binaries: 45% one large library, 40% four GenVM libraries, 15% small files of
 * about 24 KiB (runners, Python modules).
 */
export function buildBigRelease(o: ReleaseOptions & { binaryBytes: number; out: string }): number {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'glr-big-release-'));
  try {
    const top = releaseTopFolder(o.version);
    const dir = path.join(tmp, top);
    writeReleaseTree(dir, o);
    const g = new Generator();
    const n = o.binaryBytes;
    writeBinary(path.join(dir, 'lib/libgenlayernode.so'), Math.floor(n * 0.45), g);
    for (let i = 0; i < 4; i++) writeBinary(path.join(dir, `third_party/genvm/lib/libgenvm-${i}.so`), Math.floor(n * 0.1), g);
    const small = 24 * 1024;
    const count = Math.floor((n * 0.15) / small);
    for (let i = 0; i < count; i++) writeBinary(path.join(dir, `third_party/genvm/runners/r${Math.floor(i / 100)}/m${i}.py`), small, g);
    execFileSync('tar', ['-czf', o.out, '-C', tmp, top]);
    return statSync(o.out).size;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
