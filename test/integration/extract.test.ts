/**
 * The download's own extraction (node-tar's parser, then glr's blocking writes,
 * src/actions/download/) leaves the same tree as GNU tar, the runbook's tool, on an honest release
 * with every kind of entry a release may hold: files of every size (empty, and across gunzip's
 * chunks and the slices they are written in), modes, a name longer than ustar allows, symbolic and
 * hard links, a read-only folder with files inside, modification times; and a path given twice is
 * the later entry's, as with tar.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unpack } from '../../src/actions/download/unpack.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'glr-extract-'));
});
afterAll(() => {
  // the read-only folder first, or its files cannot be removed
  for (const d of ['tar', 'glr'])
    try {
      chmodSync(path.join(tmp, d, 'third_party/genvm/ro'), 0o755);
    } catch {
      // not there
    }
  rmSync(tmp, { recursive: true, force: true });
});

/** Every path under `dir`: type, mode, size, content hash, link target, mtime of files, inode group of hard links. */
function describeTree(dir: string): string[] {
  const out: string[] = [];
  const inodes = new Map<number, string>();
  const walk = (rel: string) => {
    const p = path.join(dir, rel);
    const st = lstatSync(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${rel} link ${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      if (rel !== '.') out.push(`${rel} dir ${mode}`);
      for (const e of readdirSync(p).sort()) walk(rel === '.' ? e : path.join(rel, e));
    } else {
      const first = inodes.get(st.ino) ?? rel;
      inodes.set(st.ino, first);
      const sha = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
      out.push(`${rel} file ${mode} ${st.size} ${sha} mtime ${Math.floor(st.mtimeMs / 1000)} same-as ${first}`);
    }
  };
  walk('.');
  return out;
}

async function unpackWithGlr(gz: Buffer, into: string): Promise<Unpack> {
  mkdirSync(into, { recursive: true });
  const u = new Unpack(into, Infinity);
  // in network-sized reads, as a download feeds it
  for (let off = 0; off < gz.length; off += 64 * 1024) await u.write(gz.subarray(off, off + 64 * 1024));
  await u.end();
  return u;
}

describe("glr's extraction leaves what GNU tar leaves", () => {
  it('an honest release with every kind of entry', async () => {
    const src = path.join(tmp, 'src');
    const top = path.join(src, 'genlayer-node-linux-amd64-v0.4.5');
    const file = (rel: string, content: Buffer | string, mode = 0o644) => {
      mkdirSync(path.dirname(path.join(top, rel)), { recursive: true });
      writeFileSync(path.join(top, rel), content);
      chmodSync(path.join(top, rel), mode);
    };
    file('bin/genlayernode', Buffer.alloc(700 * 1024, 7), 0o755);
    file('empty', '');
    file('one', 'x');
    file('secret', 'not for everyone\n', 0o600);
    for (let i = 0; i < 40; i++) file(`third_party/genvm/runners/m${i}.py`, Buffer.alloc(1000 + i * 997, i));
    const long = `third_party/genvm/${'a-very-long-folder-name/'.repeat(5)}and-a-file-name-that-makes-the-path-longer-than-ustar-allows.wasm`;
    file(long, 'long');
    symlinkSync('../bin/genlayernode', path.join(top, 'third_party/genlayernode'));
    linkSync(path.join(top, 'one'), path.join(top, 'one-again'));
    file('third_party/genvm/ro/inside', 'read-only folder');
    chmodSync(path.join(top, 'third_party/genvm/ro'), 0o555);
    utimesSync(path.join(top, 'one'), new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
    const tgz = path.join(tmp, 'release.tar.gz');
    execFileSync('tar', ['-czf', tgz, '-C', src, 'genlayer-node-linux-amd64-v0.4.5']);
    chmodSync(path.join(top, 'third_party/genvm/ro'), 0o755);

    const byTar = path.join(tmp, 'tar');
    mkdirSync(byTar);
    execFileSync('tar', ['-xzf', tgz, '-C', byTar, '--strip-components=1']);
    const u = await unpackWithGlr(readFileSync(tgz), path.join(tmp, 'glr'));
    expect(u.error).toBeNull();
    expect(u.topFolder).toBe('genlayer-node-linux-amd64-v0.4.5');
    const want = describeTree(byTar);
    expect(want.some((l) => l.startsWith(`${long} file`))).toBe(true);
    expect(describeTree(path.join(tmp, 'glr'))).toEqual(want);
  });

  it('a path given twice is the later entry', async () => {
    const src = path.join(tmp, 'dup');
    mkdirSync(path.join(src, 'top'), { recursive: true });
    writeFileSync(path.join(src, 'top/f'), 'first');
    const tarFile = path.join(tmp, 'dup.tar');
    execFileSync('tar', ['-cf', tarFile, '-C', src, 'top']);
    writeFileSync(path.join(src, 'top/f'), 'second, longer');
    execFileSync('tar', ['-rf', tarFile, '-C', src, 'top/f']);
    execFileSync('gzip', ['-f', tarFile]);
    const u = await unpackWithGlr(readFileSync(`${tarFile}.gz`), path.join(tmp, 'dup-out'));
    expect(u.error).toBeNull();
    expect(readFileSync(path.join(tmp, 'dup-out/f'), 'utf8')).toBe('second, longer');
  });
});
