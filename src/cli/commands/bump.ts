import { lchown, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { bumpText } from '../../desired/bump.js';
import { formatProblems, parseDesired, readDesiredText } from '../../desired/load.js';
import { ExitCode, refuse } from '../../errors.js';
import { fetchReleaseVersions, listingUrlFor, newestRelease } from '../../releases/listing.js';
import { atomicWriteFile } from '../../runtime/fsx.js';
import type { Logger } from '../../runtime/logger.js';
import { fileOption, parse } from '../args.js';

export const help = `glr bump VERSION [-f FILE] [--sha256 HEX]
glr bump --latest [-f FILE] [--listing-url URL]

Set \`version:\` in FILE (and \`release.sha256\` with --sha256), changing no other byte:
comments, blank lines, key order, quoting, CRLF line ends and the spacing before a trailing
comment stay. The file is replaced atomically (a temporary file in the same folder, then a
rename) and keeps its mode, so \`glr watch\` never reads half of it.

  -f, --file FILE        the desired state (default ./desired-state.yaml)
      --sha256 HEX       the new release tarball's SHA-256 (64 hex digits); sets or adds
                         release.sha256 (added as the last entry of \`release:\`, or as a new
                         \`release:\` block at the end of the file)
      --latest           bump to the newest published release (no release candidate), read
                         from the bucket's listing (see glr releases)
      --listing-url URL  with --latest: the bucket's JSON listing (default: derived from
                         release.url)
  -h, --help             this text

Refused (exit 1, FILE unchanged): a VERSION that is not vX.Y.Z[-pre], a --sha256 that is not
64 hex digits, a FILE that is not a valid desired state or has no \`version:\` key, and a FILE
that pins release.sha256 when no --sha256 is given (the old checksum cannot match the new
version's tarball).

Exit codes:
  0  FILE now says VERSION (or already did: then nothing is written)
  1  refused; FILE is unchanged`;

export async function bumpCommand(argv: string[], log: Logger, cwd: string): Promise<number> {
  const { values, positionals } = parse(
    'bump',
    argv,
    { ...fileOption, sha256: { type: 'string' }, latest: { type: 'boolean' }, 'listing-url': { type: 'string' } },
    true,
  );
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return ExitCode.ok;
  }
  if (values.latest && positionals.length) throw refuse('glr bump: give either VERSION or --latest, not both (see glr bump --help)');
  if (!values.latest && positionals.length !== 1) {
    throw refuse(`glr bump: ${positionals.length ? 'give one VERSION' : 'which version? give VERSION (e.g. v0.4.6) or --latest'} (see glr bump --help)`);
  }
  if (values['listing-url'] !== undefined && !values.latest) throw refuse('glr bump: --listing-url is only used with --latest (see glr bump --help)');

  const label = values.file as string;
  const given = path.resolve(cwd, label);
  // a symlinked desired state is edited where it really is; the link stays a link
  const file = await realpath(given).catch(() => given);
  const text = await readDesiredText(file, label);
  const st = await stat(file);

  let version: string;
  if (values.latest) {
    const listing = values['listing-url'] ?? listingFromFile(text, label);
    const newest = newestRelease(await fetchReleaseVersions(listing, { log }));
    if (!newest)
      throw refuse(`the release listing ${listing} names no published release (release candidates are never picked by --latest); ${label} is unchanged`);
    log.info({ listing, newest }, 'newest published release');
    version = newest;
  } else {
    version = positionals[0]!;
  }

  const r = bumpText(text, label, { version, sha256: values.sha256 });
  if (!r.changed) {
    process.stdout.write(`${label}: already at ${r.to}; nothing written\n`);
    return ExitCode.ok;
  }
  // the file may have changed while the listing was fetched: never overwrite an edit unseen
  if ((await readDesiredText(file, label)) !== text) throw refuse(`${label} changed while glr bump ran; it was left as it is now, run glr bump again`);
  await atomicWriteFile(file, r.text, st.mode & 0o7777);
  await keepOwner(file, st.uid, st.gid);
  log.info({ file, from: r.from, to: r.to, sha256: r.sha256 }, 'desired state bumped');
  const sha = r.sha256 === 'unchanged' ? '' : ` (release.sha256 ${r.sha256})`;
  process.stdout.write(`${label}: ${r.from} → ${r.to}${sha}\n`);
  return ExitCode.ok;
}

/** The listing URL derived from the file's release.url (the file must be valid). */
function listingFromFile(text: string, label: string): string {
  const parsed = parseDesired(text, label);
  if (!parsed.ok) throw refuse(formatProblems(label, parsed.problems));
  const url = listingUrlFor(parsed.desired.release.url, parsed.desired.version);
  if (!url) throw refuse(`cannot derive the bucket's listing URL from release.url (${parsed.desired.release.url}); pass --listing-url URL`);
  return url;
}

/** Run as root on someone else's file, the replacement keeps that owner (best effort). */
async function keepOwner(file: string, uid: number, gid: number): Promise<void> {
  if (process.getuid?.() !== 0 || (uid === 0 && gid === process.getgid?.())) return;
  await lchown(file, uid, gid).catch(() => {});
}
