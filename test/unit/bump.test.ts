import { describe, expect, it } from 'vitest';
import { bumpText, type BumpRequest } from '../../src/desired/bump.js';
import { parseDesired } from '../../src/desired/load.js';
import { ExitCode, isGlrError } from '../../src/errors.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);
/** 64 decimal digits: written plain it would read back as a number */
const SHA_DIGITS = '0123456789'.repeat(6) + '0123';

/** The new text, or the test fails with the refusal. */
function bumped(text: string, req: BumpRequest): string {
  return bumpText(text, 'desired-state.yaml', req).text;
}

/** The refusal's message; the test fails unless bumpText refuses (a GlrError with exit code 1). */
function refusal(text: string, req: BumpRequest): string {
  let out: string;
  try {
    out = bumpText(text, 'desired-state.yaml', req).text;
  } catch (e) {
    if (!isGlrError(e)) throw e;
    expect(e.code).toBe(ExitCode.refused);
    expect(e.message.split('\n').every((l) => l.length > 0)).toBe(true);
    return e.message;
  }
  throw new Error(`expected a refusal, got:\n${out}`);
}

const COMMENTED = `# desired-state.yaml for validator-1
# maintained by ops; CI bumps version:

# the version to run
version: v0.4.5   # bumped by CI
root: /opt/genlayer-node    # the node root

release:
  # GenLayer's bucket
  url: https://storage.googleapis.com/gh-af/genlayer-node/bin/amd64/{version}/genlayer-node-linux-amd64-{version}.tar.gz # tarball

llm:
  providers:
    openai: true      # we have a key
    anthropic: false

# service
service:
  running: true
  unit: genlayer-node
# the end
`;

describe('bumpText: byte-exact edits', () => {
  it('changes only the version value in a file with comments everywhere, keeping the spaces before a trailing comment', () => {
    const out = bumped(COMMENTED, { version: 'v0.4.6' });
    expect(out).toBe(COMMENTED.replace('version: v0.4.5   # bumped by CI', 'version: v0.4.6   # bumped by CI'));
    expect(out).toContain('version: v0.4.6   # bumped by CI\n');
  });

  it('handles a version that changes length (v0.4.5 → v0.4.10 and → v0.5.0-rc.1)', () => {
    expect(bumped(COMMENTED, { version: 'v0.4.10' })).toBe(COMMENTED.replace('v0.4.5   #', 'v0.4.10   #'));
    expect(bumped(COMMENTED, { version: 'v0.5.0-rc.1' })).toBe(COMMENTED.replace('v0.4.5   #', 'v0.5.0-rc.1   #'));
  });

  it("keeps single quotes: 'v0.4.5' → 'v0.4.6'", () => {
    const text = "version: 'v0.4.5' # quoted\nroot: /tmp/x\n";
    expect(bumped(text, { version: 'v0.4.6' })).toBe("version: 'v0.4.6' # quoted\nroot: /tmp/x\n");
  });

  it('keeps double quotes: "v0.4.5" → "v0.4.6"', () => {
    const text = 'root: /tmp/x\nversion: "v0.4.5"\n';
    expect(bumped(text, { version: 'v0.4.6' })).toBe('root: /tmp/x\nversion: "v0.4.6"\n');
  });

  it('keeps CRLF line ends', () => {
    const text = COMMENTED.replace(/\n/g, '\r\n');
    const out = bumped(text, { version: 'v0.4.6' });
    expect(out).toBe(text.replace('v0.4.5', 'v0.4.6'));
    expect(out.split('\r\n').length).toBe(text.split('\r\n').length);
    expect(/[^\r]\n/.test(out)).toBe(false);
  });

  it('edits flow style in place', () => {
    const text = '{version: v0.4.5, root: /tmp/x, release: {url: "https://h/b/p/{version}/f-{version}.tar.gz"}}\n';
    expect(bumped(text, { version: 'v0.4.6' })).toBe(text.replace('v0.4.5', 'v0.4.6'));
    const mixed = 'version: v0.4.5\nllm: {providers: {openai: true}}   # flow\ngenvm: {setup: [python3, x.py]}\n';
    expect(bumped(mixed, { version: 'v1.0.0' })).toBe(mixed.replace('v0.4.5', 'v1.0.0'));
  });

  it('keeps blank lines, a missing final newline and the key order (version last)', () => {
    const text = '\n\nroot: /tmp/x\n\n\n\nversion: v0.4.5';
    expect(bumped(text, { version: 'v0.4.6' })).toBe('\n\nroot: /tmp/x\n\n\n\nversion: v0.4.6');
  });

  it('changes nothing else even where another key holds the same text', () => {
    const text = 'version: v0.4.5\nroot: /tmp/v0.4.5\nsharedDb: /tmp/v0.4.5/db # v0.4.5\n';
    expect(bumped(text, { version: 'v0.4.6' })).toBe('version: v0.4.6\nroot: /tmp/v0.4.5\nsharedDb: /tmp/v0.4.5/db # v0.4.5\n');
  });
});

describe('bumpText: release.sha256', () => {
  it('replaces an existing sha256 with --sha256, keeping its quoting and comment', () => {
    const text = `version: v0.4.5\nrelease:\n  sha256: '${SHA_A}'   # pinned\n  url: https://h/b/p/{version}/f.tar.gz\n`;
    expect(bumped(text, { version: 'v0.4.6', sha256: SHA_B })).toBe(text.replace('v0.4.5', 'v0.4.6').replace(SHA_A, SHA_B));
  });

  it('writes a given sha256 in lower case; an upper-case pin of the same value is the same', () => {
    const text = `version: v0.4.5\nrelease:\n  sha256: ${SHA_A.toUpperCase()}\n`;
    const r = bumpText(text, 'f', { version: 'v0.4.5', sha256: SHA_A });
    expect(r).toMatchObject({ changed: false, text });
    expect(bumped(text, { version: 'v0.4.6', sha256: SHA_B.toUpperCase() })).toBe(`version: v0.4.6\nrelease:\n  sha256: ${SHA_B}\n`);
  });

  it('adds sha256 as the last entry of an existing release: block, right after its value line', () => {
    const out = bumped(COMMENTED, { version: 'v0.4.6', sha256: SHA_A });
    expect(out).toBe(COMMENTED.replace('v0.4.5   #', 'v0.4.6   #').replace('.tar.gz # tarball\n', `.tar.gz # tarball\n  sha256: ${SHA_A}\n`));
    const parsed = parseDesired(out, 'f');
    expect(parsed.ok && parsed.desired.release.sha256).toBe(SHA_A);
  });

  it('adds sha256 after a block-scalar value without swallowing the blank line after it (CRLF)', () => {
    const text = 'version: v0.4.5\r\nrelease:\r\n  url: >-\r\n    https://h/b/p/{version}/f.tar.gz\r\n\r\n  # note\r\nroot: /tmp/x\r\n';
    expect(bumped(text, { version: 'v0.4.6', sha256: SHA_A })).toBe(
      `version: v0.4.6\r\nrelease:\r\n  url: >-\r\n    https://h/b/p/{version}/f.tar.gz\r\n  sha256: ${SHA_A}\r\n\r\n  # note\r\nroot: /tmp/x\r\n`,
    );
  });

  it('appends a release: block at the end when there is none, with the file’s indentation and line ends', () => {
    const text = 'version: v0.4.5 # v\r\nllm:\r\n    providers:\r\n        openai: true\r\n# tail\r\n';
    expect(bumped(text, { version: 'v0.4.6', sha256: SHA_A })).toBe(`${text.replace('v0.4.5', 'v0.4.6')}release:\r\n    sha256: ${SHA_A}\r\n`);
    const noFinalNewline = 'version: v0.4.5\nroot: /tmp/x # no newline';
    expect(bumped(noFinalNewline, { version: 'v0.4.6', sha256: SHA_A })).toBe(`version: v0.4.6\nroot: /tmp/x # no newline\nrelease:\n  sha256: ${SHA_A}\n`);
  });

  it('adds to flow maps: after the last value, into an empty {}, and as a flow release at the top level', () => {
    const flowRelease = "version: v0.4.5\nrelease: {url: 'https://h/b/p/{version}/f.tar.gz'}  # c\n";
    expect(bumped(flowRelease, { version: 'v0.4.6', sha256: SHA_A })).toBe(
      `version: v0.4.6\nrelease: {url: 'https://h/b/p/{version}/f.tar.gz', sha256: ${SHA_A}}  # c\n`,
    );
    expect(bumped('version: v0.4.5\nrelease: {}\n', { version: 'v0.4.6', sha256: SHA_A })).toBe(`version: v0.4.6\nrelease: {sha256: ${SHA_A}}\n`);
    expect(bumped('{version: v0.4.5, root: /tmp/x}\n', { version: 'v0.4.6', sha256: SHA_A })).toBe(
      `{version: v0.4.6, root: /tmp/x, release: {sha256: ${SHA_A}}}\n`,
    );
  });

  it('quotes a checksum that would read back as a number', () => {
    const added = bumped('version: v0.4.5\n', { version: 'v0.4.6', sha256: SHA_DIGITS });
    expect(added).toBe(`version: v0.4.6\nrelease:\n  sha256: "${SHA_DIGITS}"\n`);
    const replaced = bumped(`version: v0.4.5\nrelease:\n  sha256: ${SHA_A}\n`, { version: 'v0.4.6', sha256: SHA_DIGITS });
    expect(replaced).toBe(`version: v0.4.6\nrelease:\n  sha256: "${SHA_DIGITS}"\n`);
    for (const out of [added, replaced]) {
      const p = parseDesired(out, 'f');
      expect(p.ok && p.desired.release.sha256).toBe(SHA_DIGITS);
    }
  });

  it('sets only the checksum when the version is already there', () => {
    const text = `version: v0.4.5\nrelease:\n  sha256: ${SHA_A}\n`;
    const r = bumpText(text, 'f', { version: 'v0.4.5', sha256: SHA_B });
    expect(r).toMatchObject({ changed: true, from: 'v0.4.5', to: 'v0.4.5', sha256: 'updated', text: text.replace(SHA_A, SHA_B) });
  });

  it('CRLF: a version that changes length and a sha256 added after it, in one pass', () => {
    const text = 'version: v0.4.5 # ci\r\nrelease:\r\n  url: https://h/b/p/{version}/f.tar.gz\r\n  # pinned below\r\n\r\nroot: /tmp/x\r\n';
    expect(bumped(text, { version: 'v0.4.10', sha256: SHA_A })).toBe(
      `version: v0.4.10 # ci\r\nrelease:\r\n  url: https://h/b/p/{version}/f.tar.gz\r\n  sha256: ${SHA_A}\r\n  # pinned below\r\n\r\nroot: /tmp/x\r\n`,
    );
  });

  it('adds to a release: block that ends the file without a final newline', () => {
    const text = 'version: v0.4.5\nrelease:\n  url: https://h/b/p/{version}/f.tar.gz # last';
    expect(bumped(text, { version: 'v0.4.6', sha256: SHA_A })).toBe(
      `version: v0.4.6\nrelease:\n  url: https://h/b/p/{version}/f.tar.gz # last\n  sha256: ${SHA_A}\n`,
    );
  });

  it('refuses to add after an explicit document end marker', () => {
    expect(refusal('version: v0.4.5\n...\n', { version: 'v0.4.6', sha256: SHA_A })).toMatch(/cannot add release\.sha256.*by hand/);
  });
});

describe('bumpText: refusals', () => {
  it('a VERSION that is not vX.Y.Z[-pre]', () => {
    for (const bad of ['0.4.6', 'v0.4', 'v0.4.6-', 'v0.4.6 ', 'latest', 'v0.4.6-rc_1', 'v0.4.6\n']) {
      expect(refusal(COMMENTED, { version: bad })).toMatch(/is not a version: it must look like vX\.Y\.Z/);
    }
  });

  it('a --sha256 that is not 64 hex digits', () => {
    for (const bad of ['abc', SHA_A.slice(1), `${SHA_A}0`, 'g'.repeat(64), `${SHA_A.slice(2)}  `]) {
      expect(refusal(COMMENTED, { version: 'v0.4.6', sha256: bad })).toMatch(/--sha256 must be 64 hex digits/);
    }
  });

  it('a file that is not a valid desired state (unknown key, invalid YAML, bad current version)', () => {
    expect(refusal('version: v0.4.5\nverison: v0.4.5\n', { version: 'v0.4.6' })).toMatch(
      /desired-state\.yaml:2: unknown key `verison`; did you mean `version`\?$/,
    );
    expect(refusal('version: v0.4.5\nroot: [unclosed\n', { version: 'v0.4.6' })).toMatch(/invalid YAML/);
    expect(refusal('version: latest\n', { version: 'v0.4.6' })).toMatch(/version: must look like/);
    expect(refusal('', { version: 'v0.4.6' })).toMatch(/empty/);
  });

  it('a file without a version: key', () => {
    expect(refusal('root: /tmp/x\n', { version: 'v0.4.6' })).toMatch(/has no `version:` key/);
  });

  it('a file pinning release.sha256 when no --sha256 is given, and says why', () => {
    const text = `version: v0.4.5\nrelease:\n  sha256: ${SHA_A}\n`;
    const m = refusal(text, { version: 'v0.4.6' });
    expect(m).toContain('pins release.sha256');
    expect(m).toContain('would not match');
    expect(m).toContain('--sha256');
  });

  it('a version that is an alias to something that is not a version', () => {
    expect(refusal('root: &v /tmp/x\nversion: *v\n', { version: 'v0.4.6' })).toMatch(/:2: version: must look like vX\.Y\.Z/);
  });

  it('a version that is an alias (to a version): there is no value of its own to edit', () => {
    const text = 'service:\n  unit: &v v0.4.5\nversion: *v\n';
    expect(refusal(text, { version: 'v0.4.6' })).toMatch(/`version:` is not a plain value here \(an alias\?\); edit it by hand$/);
    expect(bumpText(text, 'f', { version: 'v0.4.5' })).toMatchObject({ changed: false, text });
  });
});

describe('bumpText: idempotence', () => {
  it('the same version (and the same or no checksum) is no change: the text is returned as it was', () => {
    expect(bumpText(COMMENTED, 'f', { version: 'v0.4.5' })).toEqual({
      changed: false,
      text: COMMENTED,
      from: 'v0.4.5',
      to: 'v0.4.5',
      sha256: 'unchanged',
    });
    const pinned = `version: "v0.4.5"\nrelease:\n  sha256: ${SHA_A}\n`;
    expect(bumpText(pinned, 'f', { version: 'v0.4.5' })).toMatchObject({ changed: false, text: pinned });
    expect(bumpText(pinned, 'f', { version: 'v0.4.5', sha256: SHA_A })).toMatchObject({ changed: false, text: pinned });
  });

  it('bumping twice gives the same text as bumping once', () => {
    const once = bumped(COMMENTED, { version: 'v0.4.6', sha256: SHA_A });
    expect(bumpText(once, 'f', { version: 'v0.4.6', sha256: SHA_A })).toMatchObject({ changed: false, text: once });
  });
});

describe('bumpText: messages', () => {
  it('show a VERSION or checksum with control characters on one line', () => {
    expect(refusal(COMMENTED, { version: 'v0.4.6\nroot: /x' })).toMatch(/^"v0\.4\.6\\nroot: \/x" is not a version[^\n]*$/);
    expect(refusal(COMMENTED, { version: 'v0.4.6', sha256: `${SHA_A}\n` })).not.toContain('\n');
  });
});
