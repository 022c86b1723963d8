import { createHash, randomBytes } from 'node:crypto';
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

describe('crc32c', () => {
  it("the CPU's instruction and the table give @aws-crypto/crc32c's sum, however the body is cut", async () => {
    const { Crc32c: Reference } = await import('@aws-crypto/crc32c');
    const data = randomBytes(300_001);
    const expected = new Reference().update(data).digest();
    expect(Crc32c.native).toBe(true); // this machine builds it: the addon must have loaded
    for (const table of [false, true]) {
      for (const cut of [1, 7, 4096, 65_536, data.length]) {
        const sum = new Crc32c({ table });
        for (let o = 0; o < data.length; o += cut) sum.update(data.subarray(o, o + cut));
        expect(sum.digest(), `table ${table}, cut ${cut}`).toBe(expected);
      }
    }
    expect(new Crc32c({ table: true }).update(Buffer.alloc(0)).digest()).toBe(0);
    expect(new Crc32c().update(Buffer.from('123456789')).digest()).toBe(0xe3069283);
  });
});
