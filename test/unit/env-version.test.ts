import { describe, expect, it } from 'vitest';
import { envNamesSet, envSecretValues, redact } from '../../src/genlayer/env-file.js';
import { compareVersions, seriesOf } from '../../src/desired/version.js';

describe('.env', () => {
  const text = '# keys\nHEURISTKEY=abc123456\nexport OPENAIKEY="sk-1234567"\nANTHROPICKEY=\nGEMINIKEY=""\n  SPACED = value1234 \nnot a line\n';
  it('gives the names set non-empty, never values', () => {
    expect(envNamesSet(text)).toEqual(['HEURISTKEY', 'OPENAIKEY', 'SPACED']);
  });
  it('redacts values from foreign text', () => {
    expect(redact('key sk-1234567 used; abc123456', envSecretValues(text))).toBe('key [redacted] used; [redacted]');
  });

  // where dotenv and systemd's EnvironmentFile= read a line alike
  it.each([
    ['KEY=v', ['KEY']],
    ['  KEY = v  ', ['KEY']],
    ["KEY='a b'", ['KEY']],
    ['KEY="a b"', ['KEY']],
    ['KEY=""', []],
    ['KEY=', []],
    ['# KEY=v', []],
    ['; KEY=v', []],
    ['KEY=v\r\nOTHER=w\r\n', ['KEY', 'OTHER']],
    ['KEY=v\nKEY=', []], // the last assignment wins
    ['KEY=""\nKEY=v', ['KEY']],
    ['no equals sign', []],
  ])('as systemd does: %j sets %j', (line, names) => {
    expect(envNamesSet(line)).toEqual(names);
  });

  // where they differ: glr reads these as dotenv (docker compose, a shell) does; the node's
  // systemd unit reads them otherwise, as each comment says
  it.each([
    ['export KEY=v', ['KEY']], // systemd ignores the line ("export KEY" is not a name)
    ['KEY: v', ['KEY']], // systemd ignores a line without `=`
    ['KEY= # to do', []], // systemd sets KEY to "# to do"
    ['KEY=#x', []], // systemd sets KEY to "#x"
  ])('unlike systemd: %j sets %j', (line, names) => {
    expect(envNamesSet(line)).toEqual(names);
  });

  it('scrubs both readings of a value: a `#` starts a comment for dotenv, not for systemd', () => {
    const secrets = envSecretValues('NODE_PASSWORD=#hunter2xyz\nOPENAIKEY=sk-abcdef # main key\nQUOTED="pa ss#word"\n');
    const log = 'password #hunter2xyz; key sk-abcdef; key as systemd passes it: sk-abcdef # main key; pa ss#word';
    expect(redact(log, secrets)).not.toMatch(/hunter2|sk-abcdef|pa ss/);
  });

  it('leaves values under 6 characters, or every `true` in a log would go', () => {
    expect(envSecretValues('A=true\nB=1\nC=123456\n')).toEqual(['123456']);
  });

  it('turns `\\n` in double quotes into a line break, where systemd keeps backslash-n', () => {
    expect(envSecretValues('K="line1\\nline2"\n')).toEqual(['line1\nline2']);
  });
});

describe('versions', () => {
  it('orders semantically, pre-releases before their release', () => {
    const sorted = ['v0.4.10', 'v0.4.5-rc1', 'v0.4.5', 'v0.10.0', 'v0.4.5-rc.10', 'v0.4.5-rc.2', 'v1.0.0'].sort(compareVersions);
    expect(sorted).toEqual(['v0.4.5-rc.2', 'v0.4.5-rc.10', 'v0.4.5-rc1', 'v0.4.5', 'v0.4.10', 'v0.10.0', 'v1.0.0']);
  });

  it('compares pre-release identifiers as semver 2.0.0 does: digits as numbers, the rest as ASCII text', () => {
    // rc.9 < rc.10 (numeric identifiers), but rc10 < rc9 (one alphanumeric identifier each)
    expect(['v0.5.0-rc.10', 'v0.5.0-rc.9'].sort(compareVersions)).toEqual(['v0.5.0-rc.9', 'v0.5.0-rc.10']);
    expect(['v0.5.0-rc9', 'v0.5.0-rc10'].sort(compareVersions)).toEqual(['v0.5.0-rc10', 'v0.5.0-rc9']);
    // upper case before lower case; a numeric identifier before an alphanumeric one
    expect(['v0.5.0-rc1', 'v0.5.0-RC1', 'v0.5.0-1'].sort(compareVersions)).toEqual(['v0.5.0-1', 'v0.5.0-RC1', 'v0.5.0-rc1']);
    expect(compareVersions('v0.5.0-rc.1', 'v0.5.0-rc.1')).toBe(0);
  });

  it('puts what glr admits and semver does not (leading zeros, empty identifiers) before every version semver reads', () => {
    const sorted = ['v0.4.5', 'v01.0.0', 'v0.4.5-rc..1', 'v0.0.1'].sort(compareVersions);
    expect(sorted).toEqual(['v0.4.5-rc..1', 'v01.0.0', 'v0.0.1', 'v0.4.5']);
    expect(compareVersions('latest', 'v0.0.1')).toBeLessThan(0);
  });

  it('names the series of the shared DB', () => expect(seriesOf('v0.12.3-rc1')).toBe('v0.12'));
});
