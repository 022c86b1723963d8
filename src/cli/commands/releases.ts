import path from 'node:path';
import { loadDesired } from '../../desired/load.js';
import { ExitCode, refuse } from '../../errors.js';
import { lstat } from 'node:fs/promises';
import { isNotFound } from '../../runtime/fsx.js';
import { fetchReleaseVersions, GENLAYER_LISTING_URL, listingUrlFor, sortReleases } from '../../releases/listing.js';
import { parse } from '../args.js';

export const help = `glr releases [-f FILE] [--json] [--pre] [--listing-url URL]

The versions published in GenLayer's bucket, newest first (semantic-version order), read
from the bucket's JSON listing API with every page followed. Release candidates (any -pre,
e.g. v0.5.0-rc1) are shown only with --pre.

  -f, --file FILE        the desired state whose release.url names the bucket
                         (default ./desired-state.yaml when it exists; not needed with
                         --listing-url; with neither, GenLayer's bucket is read)
      --listing-url URL  the listing to read (default: derived from release.url: origin +
                         /storage/v1/b/BUCKET/o?prefix=the path up to the {version} folder;
                         without a file, GenLayer's bucket:
                         ${GENLAYER_LISTING_URL})
      --pre              include release candidates
      --json             print a JSON array of version strings
  -h, --help             this text

Exit codes:
  0  listed (possibly nothing, when only release candidates exist and --pre is not given)
  1  the listing could not be read (unreachable, not HTTP 200, not JSON, not a listing),
     or FILE is not a valid desired state, or no listing URL could be derived`;

export async function releasesCommand(argv: string[], cwd: string): Promise<number> {
  const { values } = parse('releases', argv, {
    file: { type: 'string', short: 'f' },
    json: { type: 'boolean' },
    pre: { type: 'boolean' },
    'listing-url': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return ExitCode.ok;
  }
  let listing = values['listing-url'];
  // the file is read when it is named (-f), or when there is no --listing-url and the default
  // file exists (it may name another bucket): a bad one is an error. No file: GenLayer's bucket.
  const label = values.file ?? 'desired-state.yaml';
  if (listing === undefined && values.file === undefined && !(await exists(path.resolve(cwd, label)))) listing = GENLAYER_LISTING_URL;
  if (listing === undefined || values.file !== undefined) {
    const desired = await loadDesired(path.resolve(cwd, label));
    if (listing === undefined) {
      const derived = listingUrlFor(desired.release.url, desired.version);
      if (!derived) throw refuse(`cannot derive the bucket's listing URL from release.url (${desired.release.url}) in ${label}; pass --listing-url URL`);
      listing = derived;
    }
  }
  const all = await fetchReleaseVersions(listing);
  if (!all.length) throw refuse(`the release listing ${listing} names no release (is the prefix right?)`);
  const versions = sortReleases(all, { pre: Boolean(values.pre) });
  process.stdout.write(values.json ? `${JSON.stringify(versions)}\n` : versions.map((v) => `${v}\n`).join(''));
  return ExitCode.ok;
}

/** false only when there is no such file (anything else is for loadDesired to report) */
async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    (e: unknown) => !isNotFound(e),
  );
}
