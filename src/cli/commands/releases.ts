import path from 'node:path';
import { loadDesired } from '../../desired/load.js';
import { ExitCode, refuse } from '../../errors.js';
import { fetchReleaseVersions, listingUrlFor, sortReleases } from '../../releases/listing.js';
import { parse } from '../args.js';

export const help = `glr releases [-f FILE] [--json] [--pre] [--listing-url URL]

The versions published in GenLayer's bucket, newest first (semantic-version order), read
from the bucket's JSON listing API with every page followed. Release candidates (any -pre,
e.g. v0.5.0-rc1) are shown only with --pre.

  -f, --file FILE        the desired state whose release.url names the bucket
                         (default ./desired-state.yaml; not needed with --listing-url)
      --listing-url URL  the listing to read, e.g.
                         https://storage.googleapis.com/storage/v1/b/gh-af/o?prefix=genlayer-node/bin/amd64/
                         (default: derived from release.url: origin + /storage/v1/b/BUCKET/o
                         ?prefix=the path up to the {version} folder)
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
  // the file is read when it is needed (no --listing-url) or named (-f): a bad one is an error
  if (listing === undefined || values.file !== undefined) {
    const label = values.file ?? 'desired-state.yaml';
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
