import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Checksums } from '../../src/actions/download/checksums.js';
import { Crc32c } from '../../src/actions/download/crc32c.js';

const body = Buffer.from('a release, in two chunks of a download');
const md5 = createHash('md5').update(body).digest('base64');
const crc32c = new Crc32c().update(body).base64();
const sha256 = createHash('sha256').update(body).digest('hex');

function check(pinned: string | null, bucket: { md5?: string; crc32c?: string }): ReturnType<Checksums['verify']> {
  const sums = new Checksums(pinned, bucket);
  sums.update(body.subarray(0, 10));
  sums.update(body.subarray(10));
  return sums.verify('v0.4.5');
}

describe('the hashes a download is checked against', () => {
  it('one bucket hash: crc32c when x-goog-hash has it, md5 only when it has no crc32c', () => {
    expect(check(null, { md5, crc32c })).toEqual({ sha256, verifiedBy: ['crc32c'] });
    expect(check(null, { md5 })).toEqual({ sha256, verifiedBy: ['md5'] });
    expect(check(sha256, { crc32c })).toEqual({ sha256, verifiedBy: ['sha256', 'crc32c'] });
    expect(check(null, {})).toEqual({ sha256, verifiedBy: [] });
  });

  it('a mismatch names the hash that caught it', () => {
    expect(() => check(null, { md5: 'AAAAAAAAAAAAAAAAAAAAAA==' })).toThrow(/does not match the bucket's md5/);
    expect(() => check(null, { md5, crc32c: 'AAAAAA==' })).toThrow(/does not match the bucket's crc32c/);
    expect(() => check('0'.repeat(64), { md5, crc32c })).toThrow(/checksum mismatch for v0\.4\.5/);
  });
});
