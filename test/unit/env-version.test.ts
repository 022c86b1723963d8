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
});

describe('versions', () => {
  it('orders semantically, pre-releases before their release', () => {
    const sorted = ['v0.4.10', 'v0.4.5-rc1', 'v0.4.5', 'v0.10.0', 'v0.4.5-rc.10', 'v0.4.5-rc.2', 'v1.0.0'].sort(compareVersions);
    expect(sorted).toEqual(['v0.4.5-rc.2', 'v0.4.5-rc.10', 'v0.4.5-rc1', 'v0.4.5', 'v0.4.10', 'v0.10.0', 'v1.0.0']);
  });
  it('names the series of the shared DB', () => expect(seriesOf('v0.12.3-rc1')).toBe('v0.12'));
});
