/**
 * The tarball: a release whose entries try to leave its folder is refused whole (never
 * "mostly installed" with the bad entries skipped), nothing is written outside the staging
 * folder, nothing is left of it, and the node runs on as it was. Each hostile release is a
 * complete, working fake release plus the hostile entries (sandbox/hostile-tarballs.ts), so the
 * hostile entries are the only thing there is to refuse.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileRelease, up, type RawEntry } from '../../sandbox/hostile-tarballs.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectRefusal } from '../helpers/hostile.js';

const V = 'v0.4.5';
let sb: Sandbox;
/** outside the root, beside it in the sandbox: where hostile entries aim */
let outside: string;
let victim: string;
const VICTIM = 'the operator’s file, not the release’s\n';

beforeAll(async () => {
  sb = await createSandbox();
  outside = path.join(sb.host.dir, 'outside');
  mkdirSync(path.join(outside, 'exfil'), { recursive: true });
  victim = path.join(outside, 'victim');
  writeFileSync(victim, VICTIM);
});
afterAll(async () => sb?.cleanup());

/** From the staging folder {root}/.glr/staging/X (the top folder stripped) up to the sandbox. */
const TO_SANDBOX = up(5);

function outsideUntouched(): void {
  expect(readdirSync(outside).sort()).toEqual(['exfil', 'victim']);
  expect(readdirSync(path.join(outside, 'exfil'))).toEqual([]);
  expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
  expect(statSync(victim).nlink).toBe(1);
  expect(existsSync(path.join(sb.host.root, 'pwned'))).toBe(false);
}

async function refuses(hostile: { before?: RawEntry[]; after?: RawEntry[] }, line: RegExp, o: Parameters<typeof hostileRelease>[2] = {}): Promise<void> {
  sb.server.add(V, hostileRelease(V, hostile, o));
  const file = sb.host.writeDesired({ version: V });
  // a tarball is only seen when applying: the dry-run plans the download (exit 2)
  await expectRefusal(sb.host, file, { line, dryRun: 'pending' });
  outsideUntouched();
}

describe('a release that tries to leave its folder is refused whole', () => {
  it('an entry with .. (after the honest entries: what was extracted is removed too)', async () => {
    await refuses(
      { after: [{ path: `{top}/${TO_SANDBOX}outside/pwned`, type: 'file', content: 'x' }] },
      /^glr: the v0\.4\.5 tarball is refused: entry ".*outside\/pwned" leaves its folder \(\.\.\); nothing of it was kept\. Do not install this release: report it to GenLayer$/,
    );
  });

  it('an entry with .. first of all', async () => {
    await refuses({ before: [{ path: `{top}/../../../pwned`, type: 'file', content: 'x' }] }, /tarball is refused: entry "[^"]*" leaves its folder/);
  });

  it('an absolute path', async () => {
    await refuses(
      { after: [{ path: path.join(outside, 'pwned'), type: 'file', content: 'x' }] },
      /tarball is refused: entry "\/.*\/outside\/pwned" has an absolute path/,
    );
  });

  it('a symlink pointing outside, then an entry written through it', async () => {
    await refuses(
      {
        after: [
          { path: '{top}/escape', type: 'symlink', linkpath: `${TO_SANDBOX}outside` },
          { path: '{top}/escape/pwned', type: 'file', content: 'x' },
        ],
      },
      /tarball is refused: link "[^"]*\/escape" points outside the release/,
    );
  });

  it('an absolute symlink, then an entry written through it', async () => {
    await refuses(
      {
        after: [
          { path: '{top}/escape', type: 'symlink', linkpath: outside },
          { path: '{top}/escape/pwned', type: 'file', content: 'x' },
        ],
      },
      /tarball is refused: link "[^"]*\/escape" points at an absolute path/,
    );
  });

  it('a symlink that stays inside, then an entry written through it', async () => {
    await refuses(
      {
        after: [
          { path: '{top}/bin/alias', type: 'symlink', linkpath: '../third_party' },
          { path: '{top}/bin/alias/pwned', type: 'file', content: 'x' },
        ],
      },
      /tarball is refused: entry "[^"]*\/bin\/alias\/pwned" is written through the link "[^"]*\/bin\/alias"/,
    );
  });

  it('a link chain that stays inside on paper but leaves physically (data → outside: the keystore would follow)', async () => {
    // M points up at {top}/a, so M/.. is {top}/ on disk but {top}/a/b/c/d/e/f/g on paper: `data`
    // looks like {top}/a/b/c/d/outside/exfil and is really the sandbox's outside/exfil, where
    // carrying the keystore into data/node/keystore would write it
    const deep = '{top}/a/b/c/d/e/f/g';
    await refuses(
      {
        after: [
          { path: `${deep}/`, type: 'dir' },
          { path: `${deep}/M`, type: 'symlink', linkpath: '../../../../../..' },
          { path: '{top}/data', type: 'symlink', linkpath: 'a/b/c/d/e/f/g/M/../../../../outside/exfil' },
        ],
      },
      /tarball is refused: link "[^"]*\/data" has \.\. after a folder name in its target/,
    );
  });

  it('a hard link to a file outside (absolute)', async () => {
    await refuses(
      { after: [{ path: '{top}/bin/victim', type: 'hardlink', linkpath: victim }] },
      /tarball is refused: hard link "[^"]*\/bin\/victim" points outside the release/,
    );
  });

  it('a hard link to a file outside (..), then content written into it', async () => {
    await refuses(
      {
        after: [
          { path: '{top}/bin/victim', type: 'hardlink', linkpath: `{top}/${TO_SANDBOX}outside/victim` },
          { path: '{top}/bin/victim', type: 'file', content: 'overwritten' },
        ],
      },
      /tarball is refused: hard link "[^"]*\/bin\/victim" points outside the release/,
    );
  });

  it('a character device', async () => {
    await refuses(
      { after: [{ path: '{top}/bin/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 }] },
      /tarball is refused: entry "[^"]*\/bin\/null" is a CharacterDevice, which a release never holds/,
    );
  });

  it('a block device', async () => {
    await refuses({ after: [{ path: '{top}/bin/disk', type: 'block', devmajor: 8, devminor: 0 }] }, /is a BlockDevice, which a release never holds/);
  });

  it('a FIFO', async () => {
    await refuses({ after: [{ path: '{top}/bin/pipe', type: 'fifo' }] }, /is a FIFO, which a release never holds/);
  });

  it('two top folders', async () => {
    await refuses(
      {
        after: [
          { path: 'genlayer-node-linux-amd64-v0.4.6/', type: 'dir' },
          { path: 'genlayer-node-linux-amd64-v0.4.6/bin/genlayernode', type: 'file', content: 'x' },
        ],
      },
      /tarball is refused: more than one top folder \("genlayer-node-linux-amd64-v0\.4\.5", "genlayer-node-linux-amd64-v0\.4\.6"\); a GenLayer release has one/,
    );
  });

  it("glr's own marker shipped in the release (it would make a broken folder look prepared)", async () => {
    const marker = JSON.stringify({ version: V, origin: 'adopted', at: '2025-01-01T00:00:00Z', inputs: { url: null, sha256: null, sharedDb: '/x' } });
    // the release also lacks docker-compose.yaml, so its preparation would fail after the download
    await refuses(
      { after: [{ path: '{top}/.glr-prepared', type: 'file', content: marker }] },
      /tarball is refused: entry "[^"]*\/\.glr-prepared" is a name glr keeps for itself/,
      { omit: ['docker-compose.yaml'] },
    );
  });

  it("a release that ships a keystore of its own (never mixed with the validator's keys)", async () => {
    await refuses(
      {
        after: [
          {
            path: '{top}/data/node/keystore/UTC--2025-01-01T00-00-00.000000000Z--0000000000000000000000000000000000000bad',
            type: 'file',
            content: '{"address":"bad"}',
          },
        ],
      },
      /^glr: the v0\.4\.5 release ships its own data\/node\/keystore \(1 entry\); glr never mixes a release's files with the validator's keys: do not install this release, report it to GenLayer$/,
    );
  });

  it('nothing outside the root was written by any of them', () => {
    outsideUntouched();
    expect(lstatSync(path.join(sb.host.root, 'v0.4.3')).isDirectory()).toBe(true);
  });
});
