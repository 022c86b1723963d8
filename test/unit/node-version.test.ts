import { describe, expect, it } from 'vitest';
import { parseNodeVersion } from '../../src/genlayer/node-version.js';

describe('genlayernode version, parsed into one value', () => {
  it("the real node's output: Version and Protocol", () => {
    const out = 'GenLayer Node\nVersion:  v0.4.2\nProtocol: v0.4:1dd08066\nCommit:   9780557\nDate:     2025-12-23\n';
    expect(parseNodeVersion(out)).toEqual({ version: 'v0.4.2', protocol: 'v0.4:1dd08066' });
  });

  it('a release candidate, and a version printed without its v', () => {
    expect(parseNodeVersion('Version: v0.5.0-rc1\nProtocol: v0.5:5a1e04df\n')).toEqual({ version: 'v0.5.0-rc1', protocol: 'v0.5:5a1e04df' });
    expect(parseNodeVersion('Version: 0.5.3\n').version).toBe('v0.5.3');
  });

  it('an output of only a version names it; anything else names none', () => {
    expect(parseNodeVersion('v0.4.6\n')).toEqual({ version: 'v0.4.6', protocol: null });
    expect(parseNodeVersion('')).toEqual({ version: null, protocol: null });
    expect(parseNodeVersion('Usage: genlayernode [command]\n\nAvailable Commands:\n  run\n')).toEqual({ version: null, protocol: null });
    expect(parseNodeVersion('Version: dev\n').version).toBe(null);
  });
});
