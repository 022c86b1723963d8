import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, lstatSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { errorLines, hasStackTrace, runGlr, type GlrRun } from '../helpers/glr.js';

const SHA = 'c0ffee'.repeat(10) + 'beef';
const LISTING_PATH = '/storage/v1/b/gh-af/o';

let server: ReleaseServer;
let tmp: string;
let fileCount = 0;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'glr-bump-'));
  server = await startReleaseServer();
  server.pageSize = 2;
  server.list(['v0.4.3', 'v0.4.5', 'v0.4.6', 'v0.4.10', 'v0.4.9', 'v0.5.0-rc1', 'v0.5.0-rc2', 'v0.3.12']);
});
afterAll(async () => {
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A desired-state file in its own folder (the root need not exist for bump/releases). */
function desiredFile(text: string, mode = 0o644): string {
  const dir = path.join(tmp, `host-${++fileCount}`);
  mkdirSync(dir);
  const file = path.join(dir, 'desired-state.yaml');
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

function minimal(version = 'v0.4.5', extra = ''): string {
  return `version: ${version}\nroot: /tmp/glr-bump-no-such-root\nrelease:\n  url: ${server.urlTemplate}\n${extra}`;
}

/** Freezes the file's mtime in the past, so that any write would show. */
function freeze(file: string): { mtimeMs: number; ino: number; bytes: Buffer } {
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(file, past, past);
  const st = statSync(file);
  return { mtimeMs: st.mtimeMs, ino: st.ino, bytes: readFileSync(file) };
}

function expectUntouched(file: string, before: { mtimeMs: number; ino: number; bytes: Buffer }): void {
  const st = statSync(file);
  expect(readFileSync(file).equals(before.bytes)).toBe(true);
  expect(st.mtimeMs).toBe(before.mtimeMs);
  expect(st.ino).toBe(before.ino);
}

function expectOneErrorLine(r: GlrRun, pattern: RegExp): void {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  const lines = errorLines(r);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(hasStackTrace(r)).toBe(false);
}

function listingRequests(): string[] {
  return server.requests.filter((r) => r.startsWith(`GET ${LISTING_PATH}`));
}

const COMMENTED = [
  '# validator-1',
  '',
  'version: v0.4.5   # bumped by CI',
  "root: '/tmp/glr-bump-no-such-root'  # not needed by bump",
  '',
  'release:',
  '  # the fake bucket',
  '  url: URL',
  '',
  'llm: {providers: {openai: true}}',
  '# end',
  '',
].join('\r\n');

describe('glr bump', () => {
  it('replaces the file atomically, keeps its mode (0640) and every other byte (CRLF, comments, quoting)', async () => {
    const text = COMMENTED.replace('URL', server.urlTemplate);
    const file = desiredFile(text, 0o640);
    const before = freeze(file);
    const r = await runGlr(['bump', 'v0.4.6', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: v0.4.5 → v0.4.6\n`);
    expect(readFileSync(file, 'utf8')).toBe(text.replace('version: v0.4.5   # bumped by CI', 'version: v0.4.6   # bumped by CI'));
    const st = statSync(file);
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.ino).not.toBe(before.ino); // a new file renamed over the old one, not rewritten in place
    expect(readdirSync(path.dirname(file))).toEqual(['desired-state.yaml']); // no temp file left
    expect(errorLines(r)).toEqual([]);
  });

  it('takes -f relative to the working folder and prints it as given', async () => {
    const file = desiredFile(minimal());
    const r = await runGlr(['bump', 'v0.4.6'], { cwd: path.dirname(file) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('desired-state.yaml: v0.4.5 → v0.4.6\n');
    expect(readFileSync(file, 'utf8')).toBe(minimal('v0.4.6'));
  });

  it('sets --sha256, adding release.sha256 when the file has none', async () => {
    const file = desiredFile(minimal());
    const r = await runGlr(['bump', 'v0.4.6', '--sha256', SHA.toUpperCase(), '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: v0.4.5 → v0.4.6 (release.sha256 added)\n`);
    expect(readFileSync(file, 'utf8')).toBe(`${minimal('v0.4.6')}  sha256: ${SHA}\n`);
    // and then a new checksum replaces it
    const again = await runGlr(['bump', 'v0.4.7', '--sha256', 'ab'.repeat(32), '-f', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`${minimal('v0.4.7')}  sha256: ${'ab'.repeat(32)}\n`);
  });

  it('edits the target of a symlinked file and leaves the link a link', async () => {
    const file = desiredFile(minimal(), 0o600);
    const link = path.join(path.dirname(file), 'link.yaml');
    symlinkSync(file, link);
    const r = await runGlr(['bump', 'v0.4.6', '-f', link]);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(minimal('v0.4.6'));
    expect(statSync(file).mode & 0o7777).toBe(0o600);
  });

  it('the version already there: exit 0 and no write (mtime and inode unchanged)', async () => {
    const file = desiredFile(minimal('v0.4.6', `  sha256: ${SHA}\n`));
    const before = freeze(file);
    const r = await runGlr(['bump', 'v0.4.6', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: already at v0.4.6; nothing written\n`);
    const same = await runGlr(['bump', 'v0.4.6', '--sha256', SHA, '-f', file]);
    expect(same.code, same.stderr).toBe(0);
    expectUntouched(file, before);
  });

  it('refusals exit 1 with one line and leave the file byte-identical', async () => {
    const cases: { text: string; args: string[]; error: RegExp }[] = [
      { text: minimal(), args: ['v0.4'], error: /'v0\.4' is not a version/ },
      { text: minimal(), args: ['v0.4.6', '--sha256', 'abc'], error: /--sha256 must be 64 hex digits/ },
      { text: minimal('v0.4.5', `  sha256: ${SHA}\n`), args: ['v0.4.6'], error: /pins release\.sha256 .*would not match.*--sha256/ },
      { text: `${minimal()}verison: v0.4.6\n`, args: ['v0.4.6'], error: /:5: unknown key `verison`; did you mean `version`\?/ },
      { text: 'root: /tmp/x\n', args: ['v0.4.6'], error: /has no `version:` key/ },
      { text: 'version: v0.4.5\nroot: [oops\n', args: ['v0.4.6'], error: /invalid YAML/ },
      { text: minimal(), args: [], error: /which version\?/ },
      { text: minimal(), args: ['v0.4.6', '--latest'], error: /either VERSION or --latest/ },
      { text: minimal(), args: ['v0.4.6', '--bogus'], error: /Unknown option '--bogus'.*see glr bump --help/ },
    ];
    for (const c of cases) {
      const file = desiredFile(c.text, 0o640);
      const before = freeze(file);
      const r = await runGlr(['bump', ...c.args, '-f', file]);
      expectOneErrorLine(r, c.error);
      expect(r.stdout).toBe('');
      expectUntouched(file, before);
      expect(statSync(file).mode & 0o7777).toBe(0o640);
      expect(readdirSync(path.dirname(file))).toEqual(['desired-state.yaml']);
    }
  });

  it('a missing file is one clear line', async () => {
    const r = await runGlr(['bump', 'v0.4.6', '-f', path.join(tmp, 'nope.yaml')]);
    expectOneErrorLine(r, /nope\.yaml: cannot read the desired-state file: no such file/);
  });

  it('--help', async () => {
    const r = await runGlr(['bump', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^glr bump VERSION \[-f FILE\] \[--sha256 HEX\]/);
  });
});

describe('glr releases (fake bucket, 2 names a page)', () => {
  it('follows every page and lists releases newest first, no release candidate', async () => {
    const file = desiredFile(minimal());
    const before = listingRequests().length;
    const r = await runGlr(['releases', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('v0.4.10\nv0.4.9\nv0.4.6\nv0.4.5\nv0.4.3\nv0.3.12\n');
    const pages = listingRequests().slice(before);
    expect(pages).toHaveLength(4); // 8 names, 2 a page
    expect(pages.every((p) => p.includes('prefix=genlayer-node%2Fbin%2Famd64%2F') || p.includes('prefix=genlayer-node/bin/amd64/'))).toBe(true);
    expect(pages.filter((p) => p.includes('pageToken='))).toHaveLength(3);
  });

  it('--pre includes release candidates; --json prints an array', async () => {
    const file = desiredFile(minimal());
    const pre = await runGlr(['releases', '--pre', '-f', file]);
    expect(pre.code, pre.stderr).toBe(0);
    expect(pre.stdout.split('\n').slice(0, 3)).toEqual(['v0.5.0-rc2', 'v0.5.0-rc1', 'v0.4.10']);
    const json = await runGlr(['releases', '--json', '-f', file]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(['v0.4.10', 'v0.4.9', 'v0.4.6', 'v0.4.5', 'v0.4.3', 'v0.3.12']);
    const both = await runGlr(['releases', '--json', '--pre', '-f', file]);
    expect(JSON.parse(both.stdout)).toHaveLength(8);
  });

  it('--listing-url needs no file', async () => {
    const empty = mkdtempSync(path.join(tmp, 'nofile-'));
    const r = await runGlr(['releases', '--json', '--listing-url', `${server.origin}${LISTING_PATH}?prefix=genlayer-node/bin/amd64/v0.4.1`], { cwd: empty });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['v0.4.10']);
  });

  it('a release.url the listing cannot be derived from says to pass --listing-url', async () => {
    const file = desiredFile('version: v0.4.5\nrelease:\n  url: https://example.invalid/node-{version}.tar.gz\n');
    const r = await runGlr(['releases', '-f', file]);
    expectOneErrorLine(r, /cannot derive the bucket's listing URL .*pass --listing-url/);
  });

  it('--help', async () => {
    const r = await runGlr(['releases', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^glr releases \[-f FILE\] \[--json\] \[--pre\] \[--listing-url URL\]/);
  });
});

describe('glr bump --latest', () => {
  it('bumps to the newest release (not a release candidate), then has nothing to do', async () => {
    const file = desiredFile(minimal());
    const r = await runGlr(['bump', '--latest', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: v0.4.5 → v0.4.10\n`);
    expect(readFileSync(file, 'utf8')).toBe(minimal('v0.4.10'));
    const before = freeze(file);
    const again = await runGlr(['bump', '--latest', '-f', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`${file}: already at v0.4.10; nothing written\n`);
    expectUntouched(file, before);
  });

  it('refuses a pinned sha256 without --sha256 even for --latest', async () => {
    const file = desiredFile(minimal('v0.4.5', `  sha256: ${SHA}\n`));
    const before = freeze(file);
    expectOneErrorLine(await runGlr(['bump', '--latest', '-f', file]), /pins release\.sha256/);
    expectUntouched(file, before);
  });
});

describe('an unreadable listing: one line, exit 1, nothing written', () => {
  let bad: http.Server;
  let badOrigin: string;
  let closedOrigin: string;

  beforeAll(async () => {
    bad = http.createServer((req, res) => {
      // the bucket's name says how this listing is broken
      const bucket = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1];
      if (bucket === 'html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not json</html>');
      else if (bucket === 'noitems') res.writeHead(200).end('{"kind":"storage#objects","nextPageToken":"x"}');
      else if (bucket === 'down') res.writeHead(503).end('unavailable');
      else if (bucket === 'loop') res.writeHead(200).end('{"items":[],"nextPageToken":"same"}');
      else if (bucket === 'endless') {
        const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('pageToken') ?? 0);
        res.writeHead(200).end(JSON.stringify({ items: [], nextPageToken: String(n + 1) }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    badOrigin = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
    // a port that was just free: nothing listens there
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedOrigin = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  afterAll(async () => {
    bad?.closeAllConnections();
    await new Promise<void>((resolve) => (bad ? bad.close(() => resolve()) : resolve()));
  });

  const listing = (origin: string, bucket = 'gh-af') => `${origin}/storage/v1/b/${bucket}/o?prefix=genlayer-node/bin/amd64/`;

  it('unreachable (closed port)', async () => {
    expectOneErrorLine(await runGlr(['releases', '--listing-url', listing(closedOrigin)]), /cannot reach the release listing .*connection refused/);
    const file = desiredFile(minimal().replace(server.origin, closedOrigin));
    const before = freeze(file);
    expectOneErrorLine(await runGlr(['bump', '--latest', '-f', file]), /cannot reach the release listing .*connection refused/);
    expectUntouched(file, before);
  });

  it('not JSON, no items, HTTP 503, a page token that loops, pages without end', async () => {
    expectOneErrorLine(await runGlr(['releases', '--listing-url', listing(badOrigin, 'html')]), /did not answer JSON/);
    expectOneErrorLine(await runGlr(['releases', '--listing-url', listing(badOrigin, 'noitems')]), /has no `items` array/);
    expectOneErrorLine(await runGlr(['releases', '--listing-url', listing(badOrigin, 'down')]), /answered HTTP 503/);
    expectOneErrorLine(await runGlr(['releases', '--listing-url', listing(badOrigin, 'loop')]), /repeats a page token/);
    expectOneErrorLine(await runGlr(['releases', '--listing-url', listing(badOrigin, 'endless')]), /has more than 100 pages; stopped/);
    const file = desiredFile(`version: v0.4.5\nrelease:\n  url: ${badOrigin}/html/genlayer-node/bin/amd64/{version}/f.tar.gz\n`);
    const before = freeze(file);
    expectOneErrorLine(await runGlr(['bump', '--latest', '-f', file]), /did not answer JSON/);
    expectUntouched(file, before);
  });
});
