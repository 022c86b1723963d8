import { describe, expect, it } from 'vitest';
import { isGlrError } from '../../src/errors.js';
import { listingUrlFor, newestRelease, parseListingPage, sortReleases, versionOfName } from '../../src/releases/listing.js';

const PREFIX = 'genlayer-node/bin/amd64/';
const name = (v: string, arch = 'amd64') => `genlayer-node/bin/${arch}/${v}/genlayer-node-linux-${arch}-${v}.tar.gz`;
const GCS = 'https://storage.googleapis.com/storage/v1/b/gh-af/o?prefix=genlayer-node/bin/amd64/';

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isGlrError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('listingUrlFor', () => {
  it('derives the JSON listing from the default release.url template', () => {
    expect(listingUrlFor('https://storage.googleapis.com/gh-af/genlayer-node/bin/amd64/{version}/genlayer-node-linux-amd64-{version}.tar.gz')).toBe(GCS);
  });

  it('derives it from a resolved URL given the version', () => {
    expect(listingUrlFor('https://storage.googleapis.com/gh-af/genlayer-node/bin/amd64/v0.4.5/genlayer-node-linux-amd64-v0.4.5.tar.gz', 'v0.4.5')).toBe(GCS);
    expect(listingUrlFor('https://storage.googleapis.com/gh-af/genlayer-node/bin/amd64/v0.4.5/genlayer-node-linux-amd64-v0.4.5.tar.gz')).toBeNull();
  });

  it('keeps another origin (a mirror, the sandbox) and understands virtual-host bucket URLs', () => {
    expect(listingUrlFor('http://127.0.0.1:4567/gh-af/genlayer-node/bin/amd64/{version}/genlayer-node-linux-amd64-{version}.tar.gz')).toBe(
      'http://127.0.0.1:4567/storage/v1/b/gh-af/o?prefix=genlayer-node/bin/amd64/',
    );
    expect(listingUrlFor('https://gh-af.storage.googleapis.com/genlayer-node/bin/amd64/{version}/f-{version}.tar.gz')).toBe(GCS);
    expect(listingUrlFor('https://storage.googleapis.com/my-bucket/{version}/f.tar.gz')).toBe(
      'https://storage.googleapis.com/storage/v1/b/my-bucket/o?prefix=',
    );
  });

  it('is null when there is no {version} folder or no bucket before it', () => {
    expect(listingUrlFor('https://example.com/download?v={version}')).toBeNull();
    expect(listingUrlFor('https://example.com/genlayer-node-{version}.tar.gz')).toBeNull();
    expect(listingUrlFor('https://example.com/{version}/f.tar.gz')).toBeNull();
    expect(listingUrlFor('not a url/{version}/x')).toBeNull();
  });
});

describe('parseListingPage', () => {
  it('extracts release versions and ignores every other name', () => {
    const page = parseListingPage(
      {
        kind: 'storage#objects',
        items: [
          { name: name('v0.4.5') },
          { name: name('v0.5.0-rc1') },
          { name: name('v0.4.5') }, // twice
          { name: name('v0.4.6', 'arm64') }, // other architecture
          { name: `${PREFIX}v0.4.7/genlayer-node-linux-amd64-v0.4.7.tar.gz.sha256` },
          { name: `${PREFIX}v0.4.8/genlayer-node-linux-amd64-v0.4.9.tar.gz` }, // folder and file disagree
          { name: `${PREFIX}latest/genlayer-node-linux-amd64-latest.tar.gz` },
          { name: `${PREFIX}old/v0.3.0/genlayer-node-linux-amd64-v0.3.0.tar.gz` }, // deeper
          { name: `${PREFIX}v0.4.4/` },
          { name: 'elsewhere/v0.9.9/genlayer-node-linux-amd64-v0.9.9.tar.gz' }, // outside the prefix
          { nope: true },
          'a string',
        ],
        nextPageToken: 'abc',
      },
      'L',
      PREFIX,
    );
    expect(page).toEqual({ versions: ['v0.4.5', 'v0.5.0-rc1'], nextPageToken: 'abc' });
  });

  it('reads an empty GCS answer as no release; refuses what is not a listing', () => {
    expect(parseListingPage({ kind: 'storage#objects' }, 'L', PREFIX)).toEqual({ versions: [], nextPageToken: null });
    expect(thrown(() => parseListingPage({ kind: 'storage#objects', nextPageToken: 'x' }, 'L'))).toMatch(/no `items` array/);
    expect(thrown(() => parseListingPage({ error: { code: 403 } }, 'L'))).toMatch(/^L: the release listing has no `items` array/);
    expect(thrown(() => parseListingPage({ items: 'x' }, 'L'))).toMatch(/no `items` array/);
    expect(thrown(() => parseListingPage([1, 2], 'L'))).toMatch(/not a JSON object/);
    expect(thrown(() => parseListingPage(null, 'L'))).toMatch(/not a JSON object/);
  });

  it('versionOfName works with a prefix that ends inside a version', () => {
    expect(versionOfName(name('v0.5.1'), `${PREFIX}v0.5`)).toBe('v0.5.1');
    expect(versionOfName(name('v0.4.1'), `${PREFIX}v0.5`)).toBeNull();
    expect(versionOfName(name('v0.4.1'))).toBeNull(); // no prefix: the name itself must start with the version folder
    expect(versionOfName('v0.4.1/genlayer-node-linux-amd64-v0.4.1.tar.gz')).toBe('v0.4.1');
  });
});

describe('sortReleases / newestRelease', () => {
  const all = ['v0.4.5', 'v0.10.0', 'v0.4.10', 'v0.5.0-rc1', 'v0.5.0-rc2', 'v0.4.9', 'v1.0.0-rc1', 'v0.9.1', 'v0.4.5'];

  it('orders newest first by semantic version (not by text), without release candidates', () => {
    expect(sortReleases(all)).toEqual(['v0.10.0', 'v0.9.1', 'v0.4.10', 'v0.4.9', 'v0.4.5']);
  });

  it('includes release candidates with pre, each before its release', () => {
    expect(sortReleases([...all, 'v0.5.0'], { pre: true })).toEqual([
      'v1.0.0-rc1',
      'v0.10.0',
      'v0.9.1',
      'v0.5.0',
      'v0.5.0-rc2',
      'v0.5.0-rc1',
      'v0.4.10',
      'v0.4.9',
      'v0.4.5',
    ]);
  });

  it('newest is never a release candidate; null when there is no release', () => {
    expect(newestRelease(['v0.4.5', 'v0.5.0-rc1'])).toBe('v0.4.5');
    expect(newestRelease(['v0.5.0-rc1'])).toBeNull();
    expect(newestRelease([])).toBeNull();
  });
});
