import { request } from 'undici';
import { isGlrError, refuse } from '../errors.js';
import { isVersion } from '../desired/version.js';
import { errnoCode } from '../runtime/fsx.js';
import { networkProblem, readCapped } from '../runtime/http.js';
import type { Logger } from '../runtime/logger.js';

/**
 * The versions GenLayer publishes, from its bucket's JSON listing API
 * (`GET {origin}/storage/v1/b/{bucket}/o?prefix=genlayer-node/bin/amd64/`, paged with
 * `nextPageToken`). The parsing is pure and separate from the fetch.
 */

/** GenLayer's bucket listing: what `glr releases` reads with no desired-state file and no --listing-url. */
export const GENLAYER_LISTING_URL = 'https://storage.googleapis.com/storage/v1/b/gh-af/o?prefix=genlayer-node/bin/amd64/';

/** Object names that are releases: `<prefix>vX.Y.Z/genlayer-node-linux-amd64-vX.Y.Z.tar.gz`. */
const RELEASE_NAME = /^(v[^/]+)\/genlayer-node-linux-amd64-([^/]+)\.tar\.gz$/;

/** At most this many pages are followed (a listing that never ends is an error, not a hang). */
export const MAX_PAGES = 100;
export const LISTING_TIMEOUT_MS = 30_000;
const MAX_PAGE_BYTES = 16 * 1024 * 1024;

/**
 * The listing URL for a release URL, or null when it cannot be derived. `releaseUrl` is either
 * the template (with `{version}`) or the resolved URL of `version`. Path-style URLs
 * (`https://storage.googleapis.com/<bucket>/<path>/{version}/<file>`) and virtual-host ones
 * (`https://<bucket>.storage.googleapis.com/<path>/{version}/<file>`) are understood:
 * → `<origin>/storage/v1/b/<bucket>/o?prefix=<path>/`.
 */
export function listingUrlFor(releaseUrl: string, version?: string): string | null {
  const m = /^(https?:\/\/[^/?#]+)(\/[^?#]*)/.exec(releaseUrl);
  if (!m) return null;
  let origin = m[1]!;
  const segments = m[2]!.split('/').slice(1);
  const at = segments.findIndex((s) => s === '{version}' || (version !== undefined && s === version));
  if (at < 0) return null;
  let bucket: string;
  let prefix: string[];
  const virtualHost = /^(https?:\/\/)([^/.]+(?:\.[^/.]+)*)\.storage\.googleapis\.com(:\d+)?$/i.exec(origin);
  if (virtualHost) {
    bucket = virtualHost[2]!;
    origin = `${virtualHost[1]}storage.googleapis.com${virtualHost[3] ?? ''}`;
    prefix = segments.slice(0, at);
  } else {
    if (at < 1) return null;
    bucket = segments[0]!;
    prefix = segments.slice(1, at);
  }
  if (!bucket || prefix.some((s) => s === '' || s.includes('{'))) return null;
  const decoded = prefix.map((s) => safeDecode(s));
  if (decoded.some((s) => s === null)) return null;
  const url = new URL(`${origin}/storage/v1/b/${encodeURIComponent(safeDecode(bucket) ?? bucket)}/o`);
  url.searchParams.set('prefix', decoded.length ? `${decoded.join('/')}/` : '');
  // the bucket's own spelling, with the slashes of the prefix kept readable
  return url.toString().replace(/%2F/gi, '/');
}

export interface ListingPage {
  /** every release version named on the page (release candidates included), deduplicated */
  versions: string[];
  nextPageToken: string | null;
}

/**
 * Pure: one page of the JSON listing → the release versions it names. Names that are not a
 * release tarball (other architectures, checksums, folders, mismatched versions) are ignored.
 * Throws a one-line refusal when the page is not a listing.
 */
export function parseListingPage(body: unknown, where: string, prefix = ''): ListingPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw refuse(`${where}: the release listing is not a JSON object`);
  }
  const b = body as Record<string, unknown>;
  const next = typeof b.nextPageToken === 'string' && b.nextPageToken !== '' ? b.nextPageToken : null;
  let items: unknown[];
  if (Array.isArray(b.items)) {
    items = b.items;
  } else if (b.items === undefined && b.kind === 'storage#objects' && next === null) {
    // what GCS answers for a prefix with no object: `{"kind":"storage#objects"}`
    items = [];
  } else {
    throw refuse(`${where}: the release listing has no \`items\` array (is this a GCS JSON listing URL?)`);
  }
  const versions = new Set<string>();
  for (const item of items) {
    const name = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).name : undefined;
    if (typeof name !== 'string') continue;
    const v = versionOfName(name, prefix);
    if (v) versions.add(v);
  }
  return { versions: [...versions], nextPageToken: next };
}

/**
 * `vX.Y.Z` for `<folder>vX.Y.Z/genlayer-node-linux-amd64-vX.Y.Z.tar.gz`, where `<folder>` is the
 * listing prefix up to its last `/` (a prefix may also end inside a version: `.../amd64/v0.5`).
 * Null for any other name, including releases nested deeper than that folder.
 */
export function versionOfName(name: string, prefix = ''): string | null {
  if (!name.startsWith(prefix)) return null;
  const m = RELEASE_NAME.exec(name.slice(prefix.lastIndexOf('/') + 1));
  return m && m[1] === m[2] && isVersion(m[1]!) ? m[1]! : null;
}

// pure, beside the version order: the planner (prepare-ahead) uses them without this module's HTTP
export { newestRelease, sortReleases } from '../desired/version.js';

export interface FetchOptions {
  timeoutMs?: number;
  maxPages?: number;
  log?: Logger;
}

/**
 * Every release version the listing names, all pages followed (unsorted, release candidates
 * included). One clear refusal when the listing cannot be read: unreachable, not HTTP 200, not
 * JSON, not a listing, or more than `maxPages` pages.
 */
export async function fetchReleaseVersions(listingUrl: string, opts: FetchOptions = {}): Promise<string[]> {
  const timeoutMs = opts.timeoutMs ?? LISTING_TIMEOUT_MS;
  const maxPages = opts.maxPages ?? MAX_PAGES;
  let base: URL;
  try {
    base = new URL(listingUrl);
  } catch {
    throw refuse(`the release listing URL ${JSON.stringify(listingUrl)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw refuse(`the release listing URL ${JSON.stringify(listingUrl)} is not http:// or https://`);
  const prefix = base.searchParams.get('prefix') ?? '';
  const versions = new Set<string>();
  const seen = new Set<string>();
  let token: string | null = null;
  for (let page = 1; ; page++) {
    if (page > maxPages) throw refuse(`the release listing ${listingUrl} has more than ${maxPages} pages; stopped`);
    const url = new URL(base);
    if (token !== null) url.searchParams.set('pageToken', token);
    const where = `${listingUrl}${page > 1 ? ` (page ${page})` : ''}`;
    const body = await getJson(url, where, timeoutMs);
    const parsed = parseListingPage(body, where, prefix);
    parsed.versions.forEach((v) => versions.add(v));
    opts.log?.debug({ page, versions: parsed.versions.length, next: parsed.nextPageToken !== null }, 'release listing page');
    token = parsed.nextPageToken;
    if (token === null) break;
    if (seen.has(token)) throw refuse(`${where}: the release listing repeats a page token; stopped`);
    seen.add(token);
  }
  return [...versions];
}

async function getJson(url: URL, where: string, timeoutMs: number): Promise<unknown> {
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.statusCode;
    if (status !== 200) {
      await res.body.dump().catch(() => {});
      throw refuse(`${where}: the release listing answered HTTP ${status}`);
    }
    text = await readCapped(res.body, MAX_PAGE_BYTES);
  } catch (e) {
    if (isGlrError(e)) throw e;
    if (errnoCode(e) === 'GLR_TOO_LARGE') throw refuse(`${where}: the release listing page is larger than ${MAX_PAGE_BYTES} bytes`);
    const problem = networkProblem(e);
    throw refuse(`cannot reach the release listing ${where}: ${problem === 'timed out' ? `no answer within ${Math.round(timeoutMs / 1000)}s` : problem}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw refuse(`${where}: the release listing did not answer JSON`);
  }
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
