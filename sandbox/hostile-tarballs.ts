/**
 * Malicious release tarballs, written byte by byte (a small ustar writer), because the tools that
 * build honest tarballs refuse to build these: entries with `..` or absolute paths, links that
 * leave the release, device files, a second top folder. Each hostile release is a complete fake
 * release (it would install and run) plus the hostile entries, so that only the hostile part can
 * be what glr refuses.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { releaseTopFolder, writeReleaseTree, type ReleaseOptions } from './releases.js';

export type RawType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface RawEntry {
  /** the path exactly as it goes into the header (no normalisation at all) */
  path: string;
  type: RawType;
  content?: string | Buffer;
  linkpath?: string;
  mode?: number;
  devmajor?: number;
  devminor?: number;
}

const TYPEFLAG: Record<RawType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** One 512-byte ustar header (name split into prefix/name when longer than 100 bytes). */
function header(e: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`path too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  const put = (off: number, len: number, s: string) => {
    const b = Buffer.from(s);
    if (b.length > len) throw new Error(`field too long: ${s}`);
    b.copy(h, off);
  };
  const octal = (off: number, len: number, n: number) => put(off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
  put(0, 100, name);
  octal(100, 8, e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 1_750_000_000);
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  put(156, 1, TYPEFLAG[e.type]);
  put(157, 100, e.linkpath ?? '');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(265, 32, 'root');
  put(297, 32, 'root');
  octal(329, 8, e.devmajor ?? 0);
  octal(337, 8, e.devminor ?? 0);
  put(345, 155, prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** An uncompressed tar of exactly these entries, in this order. */
export function ustar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The entries of an honest fake release (as `buildRelease` would pack it), top folder first. */
export function releaseEntries(o: ReleaseOptions): RawEntry[] {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'glr-hostile-'));
  try {
    const top = releaseTopFolder(o.version);
    writeReleaseTree(path.join(tmp, top), o);
    const out: RawEntry[] = [];
    const walk = (rel: string) => {
      const p = path.join(tmp, rel);
      const st = lstatSync(p);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.push({ path: `${rel}/`, type: 'dir', mode });
        for (const name of readdirSync(p).sort()) walk(`${rel}/${name}`);
      } else if (st.isSymbolicLink()) {
        out.push({ path: rel, type: 'symlink', linkpath: readlinkSync(p) });
      } else {
        out.push({ path: rel, type: 'file', mode, content: readFileSync(p) });
      }
    };
    walk(top);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * A complete fake release of `version` with hostile entries put before and/or after the honest
 * ones, gzipped. In `before`/`after`, `{top}` in a path or linkpath is the release's top folder.
 */
export function hostileRelease(version: string, hostile: { before?: RawEntry[]; after?: RawEntry[] }, o: Partial<ReleaseOptions> = {}): Buffer {
  const top = releaseTopFolder(version);
  const fill = (e: RawEntry): RawEntry => ({
    ...e,
    path: e.path.replaceAll('{top}', top),
    ...(e.linkpath !== undefined ? { linkpath: e.linkpath.replaceAll('{top}', top) } : {}),
  });
  const entries = [...(hostile.before ?? []).map(fill), ...releaseEntries({ ...o, version }), ...(hostile.after ?? []).map(fill)];
  return zlib.gzipSync(ustar(entries));
}

/** `n` times `../`: to climb from a staging folder to a path outside the root. */
export function up(n: number): string {
  return '../'.repeat(n);
}

/**
 * A complete fake release of `version` followed by one file of `zeroBytes` zeros, gzipped (level
 * 9: 400 MiB of zeros are about 400 KB): a tarball whose Content-Length says it fits and that
 * fills the disk only while extracting. Streamed, so the zeros are never all in memory. `before`
 * entries (e.g. many small files) go between the release and the zeros.
 */
export async function zerosRelease(version: string, zeroBytes: number, o: { before?: RawEntry[]; release?: Partial<ReleaseOptions> } = {}): Promise<Buffer> {
  const top = releaseTopFolder(version);
  const head = ustar([...releaseEntries({ ...o.release, version }), ...(o.before ?? []).map((e) => ({ ...e, path: e.path.replaceAll('{top}', top) }))]);
  const gz = zlib.createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => gz.on('end', resolve).on('error', reject));
  const put = async (b: Buffer) => {
    if (!gz.write(b)) await new Promise((r) => gz.once('drain', r));
  };
  await put(head.subarray(0, head.length - 1024)); // without its end-of-archive blocks
  await put(header({ path: `${top}/third_party/genvm/lib/zeros.bin`, type: 'file' }, zeroBytes));
  const zeros = Buffer.alloc(1 << 20);
  for (let left = zeroBytes; left > 0; left -= zeros.length) await put(left >= zeros.length ? zeros : zeros.subarray(0, left));
  await put(Buffer.alloc((512 - (zeroBytes % 512)) % 512));
  gz.end(Buffer.alloc(1024));
  await done;
  return Buffer.concat(chunks);
}
