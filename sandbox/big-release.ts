/**
 * A fake release of real size, for benchmarks and memory checks: the runnable fake release of
 * `releases.ts` plus `binaryBytes` of binaries that compress as a real release's do, in files of
 * the sizes a release ships (a few large libraries, some hundreds of small files), packed by GNU
 * tar + gzip -6 as releases are, to a file (it is never held in memory while it is built).
 *
 * The binaries are this machine's own ELF files (/usr/bin, /usr/lib...): machine code, symbol
 * tables and read-only data deflate and inflate as GenLayer's node and GenVM binaries do (a real
 * release: about 300 MiB unpacked, 110 MB gzipped). Random bytes inflate several times faster
 * than that and text compresses far better, so neither stands in for a release. The files are
 * taken in a fixed order (a hash of their paths, so that compilers and languages mix) and cut to
 * the release's file sizes; on a machine with too few, they are cycled. Without any ELF file (not
 * Linux) a generated stand-in is used, and `source` says so.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseTopFolder, writeReleaseTree, type ReleaseOptions } from './releases.js';

const CHUNK = 1 << 20;
/** where the ELF files are looked for, in this order */
const ELF_DIRS = ['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/libexec'];
/** files smaller than this are mostly headers; a release's binaries are larger */
const MIN_ELF = 16 * 1024;

export interface BigRelease {
  /** the tarball's size in bytes */
  bytes: number;
  /** where the binaries came from: "N ELF files (X MiB) from /usr/bin, ..." or the stand-in */
  source: string;
}

/** ELF files under ELF_DIRS (one path per inode), walked in name order until `enough` bytes. */
function elfFiles(enough: number): { files: string[]; bytes: number } {
  const seen = new Set<string>();
  const files: { p: string; size: number }[] = [];
  let bytes = 0;
  const head = Buffer.alloc(4);
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (bytes >= enough) return;
      const p = path.join(dir, n);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size >= MIN_ELF && !seen.has(`${st.dev}:${st.ino}`)) {
        seen.add(`${st.dev}:${st.ino}`);
        try {
          const fd = openSync(p, 'r');
          try {
            if (readSync(fd, head, 0, 4, 0) !== 4 || head.toString('latin1') !== '\x7fELF') continue;
          } finally {
            closeSync(fd);
          }
        } catch {
          continue;
        }
        files.push({ p, size: st.size });
        bytes += st.size;
      }
    }
  };
  for (const d of ELF_DIRS) walk(d);
  const key = (p: string) => createHash('sha1').update(p).digest('hex');
  return { files: files.map((f) => f.p).sort((a, b) => (key(a) < key(b) ? -1 : 1)), bytes };
}

/** The binaries' bytes as one stream: the ELF files one after another, cycled; or the stand-in. */
class Bytes {
  private i = 0;
  private fd: number | null = null;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  readonly source: string;
  private readonly standIn: StandIn | null;

  constructor(
    private readonly files: string[],
    total: number,
  ) {
    this.standIn = files.length ? null : new StandIn();
    this.source = files.length
      ? `${files.length} ELF files (${Math.round(total / 2 ** 20)} MiB) from ${ELF_DIRS.join(', ')} on this machine`
      : 'a generated stand-in (no ELF file found on this machine)';
  }

  /** up to `n` next bytes (a view on a shared buffer: use it before the next call) */
  next(n: number): Buffer {
    if (this.standIn) return this.standIn.block(Math.min(n, CHUNK));
    for (let tries = 0; tries <= this.files.length; tries++) {
      this.fd ??= openSync(this.files[this.i % this.files.length]!, 'r');
      const got = readSync(this.fd, this.buf, 0, Math.min(n, CHUNK), null);
      if (got > 0) return this.buf.subarray(0, got);
      closeSync(this.fd);
      this.fd = null;
      this.i++;
    }
    throw new Error('the ELF files could not be read');
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }
}

/**
 * Without ELF files: 64 KiB blocks, a tenth of them random (compressed sections), the rest short
 * tokens from a small vocabulary that deflate finds as matches (ratio ≈ 0.37 overall). It
 * compresses like a release but inflates faster than real machine code.
 */
class StandIn {
  private s = 0x9e3779b9;
  private readonly vocab: Buffer[] = [];
  constructor() {
    for (let i = 0; i < 1024; i++) {
      const b = Buffer.alloc(3 + (this.next() % 24));
      for (let j = 0; j < b.length; j++) b[j] = this.next() % 3 === 0 ? this.next() & 0xff : this.next() & 0x0f;
      this.vocab.push(b);
    }
  }
  private next(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  block(n: number): Buffer {
    n = Math.min(n, 64 * 1024);
    if (this.next() % 10 === 0) return randomBytes(n);
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

function writeBinary(file: string, bytes: number, from: Bytes): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w', 0o755);
  try {
    for (let left = bytes; left > 0;) {
      const b = from.next(left);
      writeSync(fd, b);
      left -= b.length;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Builds `{version}` with `binaryBytes` of binaries into `out` (a .tar.gz). Layout of the
 * binaries: 45% one large library, 40% four GenVM libraries, 15% small files of about 24 KiB
 * (runners, Python modules).
 */
export function buildBigRelease(o: ReleaseOptions & { binaryBytes: number; out: string }): BigRelease {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'glr-big-release-'));
  const elf = elfFiles(2 * o.binaryBytes);
  const from = new Bytes(elf.files, elf.bytes);
  try {
    const top = releaseTopFolder(o.version);
    const dir = path.join(tmp, top);
    writeReleaseTree(dir, o);
    const n = o.binaryBytes;
    writeBinary(path.join(dir, 'lib/libgenlayernode.so'), Math.floor(n * 0.45), from);
    for (let i = 0; i < 4; i++) writeBinary(path.join(dir, `third_party/genvm/lib/libgenvm-${i}.so`), Math.floor(n * 0.1), from);
    const small = 24 * 1024;
    const count = Math.floor((n * 0.15) / small);
    for (let i = 0; i < count; i++) writeBinary(path.join(dir, `third_party/genvm/runners/r${Math.floor(i / 100)}/m${i}.py`), small, from);
    execFileSync('tar', ['-czf', o.out, '-C', tmp, top]);
    return { bytes: statSync(o.out).size, source: from.source };
  } finally {
    from.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
