import { isDeepStrictEqual } from 'node:util';
import { isMap, parseDocument } from 'yaml';
import { refuse } from '../errors.js';
import { YamlEditor } from '../yaml/cst-edit.js';
import { formatProblems, parseDesired } from './load.js';
import { SHA256_PATTERN } from './schema.js';
import { isVersion } from './version.js';

export interface BumpRequest {
  /** the new version, vX.Y.Z[-pre] */
  version: string;
  /** the new tarball's SHA-256 (64 hex digits), or undefined to leave release.sha256 alone */
  sha256?: string | undefined;
}

export interface BumpResult {
  /** false: the file already says this; `text` is the input, nothing is to be written */
  changed: boolean;
  text: string;
  from: string;
  to: string;
  /** what happened to release.sha256 */
  sha256: 'unchanged' | 'updated' | 'added';
}

/**
 * Pure: the text of a desired-state file → the same text with `version:` (and
 * `release.sha256` when asked) changed, and no other byte. Refused (a GlrError, exit 1) when
 * that cannot be done; `label` names the file in messages. The edits go through the yaml CST
 * (YamlEditor), in one pass: quoting style, comments, blank lines, key order, CRLF and the spaces
 * before a trailing comment stay. The input must be a valid desired state, and so must the
 * result, which must also read as the input with only those one or two values changed.
 */
export function bumpText(text: string, label: string, req: BumpRequest): BumpResult {
  if (!isVersion(req.version)) {
    throw refuse(`${shown(req.version)} is not a version: it must look like vX.Y.Z or vX.Y.Z-pre (e.g. v0.4.6, v0.5.0-rc1); ${label} is unchanged`);
  }
  if (req.sha256 !== undefined && !SHA256_PATTERN.test(req.sha256)) {
    throw refuse(`--sha256 must be 64 hex digits (the SHA-256 of the release tarball), got ${shown(req.sha256)}; ${label} is unchanged`);
  }
  const sha256 = req.sha256?.toLowerCase();

  // a missing `version:` gets its own message (the schema would only say "is required")
  const raw = parseDocument(text);
  if (!raw.errors.length && isMap(raw.contents) && !raw.contents.has('version')) {
    throw refuse(`${label} has no \`version:\` key; glr bump changes an existing one (add \`version: ${req.version}\` by hand)`);
  }
  const parsed = parseDesired(text, label);
  if (!parsed.ok) throw refuse(formatProblems(label, parsed.problems));
  const from = parsed.desired.version;
  const pinned = parsed.desired.release.sha256;

  const sameVersion = from === req.version;
  if (sameVersion && (sha256 === undefined || sha256 === pinned)) {
    return { changed: false, text, from, to: req.version, sha256: 'unchanged' };
  }
  if (!sameVersion && pinned && sha256 === undefined) {
    throw refuse(
      `${label} pins release.sha256 (the checksum of ${from}'s tarball); ${req.version}'s tarball would not match it and the host would refuse the release. ` +
        `Pass the new checksum with --sha256 HEX (or remove release.sha256 from the file first); ${label} is unchanged`,
    );
  }

  // parseDesired read it as one valid YAML document, so the editor can too
  const doc = new YamlEditor(text);
  if (!sameVersion && !doc.setScalar(['version'], req.version)) {
    throw refuse(`${label}: \`version:\` is not a plain value here (an alias?); edit it by hand`);
  }
  let shaChange: BumpResult['sha256'] = 'unchanged';
  if (sha256 !== undefined && sha256 !== pinned) {
    if (doc.has(['release', 'sha256'])) {
      if (!doc.setScalar(['release', 'sha256'], sha256)) throw refuse(`${label}: cannot edit release.sha256 in place; edit it by hand`);
      shaChange = 'updated';
    } else {
      const added = doc.has(['release']) ? doc.addEntry(['release'], 'sha256', sha256) : doc.addEntry([], 'release', { sha256 });
      if (!added) {
        throw refuse(
          `${label}: cannot add release.sha256 to this file's layout; add \`sha256: ${sha256}\` under \`release:\` by hand, then run glr bump again`,
        );
      }
      shaChange = 'added';
    }
  }
  const out = doc.toString();

  // the result must be a valid desired state that reads exactly as the input but for the edit
  const check = parseDesired(out, label);
  if (!check.ok || check.desired.version !== req.version || (sha256 !== undefined && check.desired.release.sha256 !== sha256)) {
    throw refuse(`${label}: the edited file would not be a valid desired state (this is a bug in glr); it is unchanged`);
  }
  const expected = raw.toJS() as Record<string, unknown>;
  expected.version = req.version;
  if (shaChange !== 'unchanged') expected.release = { ...((expected.release ?? {}) as Record<string, unknown>), sha256 };
  const actual = parseDocument(out).toJS() as Record<string, unknown>;
  if (!isDeepStrictEqual(normalizeSha(actual), normalizeSha(expected))) {
    throw refuse(`${label}: the edit would change more than version/release.sha256 (this is a bug in glr); it is unchanged`);
  }
  return { changed: out !== text, text: out, from, to: req.version, sha256: shaChange };
}

/** release.sha256 compared case-insensitively (the file may spell it in capitals). */
function normalizeSha(v: Record<string, unknown>): Record<string, unknown> {
  const release = v.release as Record<string, unknown> | undefined;
  if (!release || typeof release.sha256 !== 'string') return v;
  return { ...v, release: { ...release, sha256: release.sha256.toLowerCase() } };
}

/** A value from the command line, quoted, on one line and cut short. */
function shown(s: string): string {
  const c = s.length > 80 ? `${s.slice(0, 77)}...` : s;
  return /[\x00-\x1f\x7f]/.test(c) ? JSON.stringify(c) : `'${c}'`;
}
