import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeAndMessage } from '../../src/runtime/text.js';

describe('codeAndMessage: an error that is not glr’s own, as the end of one line', () => {
  it('a file error says its code once (Node’s message begins with it)', () => {
    let err: unknown = null;
    try {
      readFileSync('/nonexistent/glr-error-line');
    } catch (e) {
      err = e;
    }
    expect(codeAndMessage(err)).toBe("ENOENT: no such file or directory, open '/nonexistent/glr-error-line'");
  });

  it('a code the message does not carry comes first', () => {
    expect(codeAndMessage(Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' }))).toBe('Z_BUF_ERROR unexpected end of file');
  });

  it('without a code: the message alone, on one line and clipped', () => {
    expect(codeAndMessage(new Error('two\n  lines'))).toBe('two lines');
    expect(codeAndMessage('x'.repeat(500))).toHaveLength(160);
    expect(codeAndMessage(new Error('not an errno'))).toBe('not an errno');
  });
});
