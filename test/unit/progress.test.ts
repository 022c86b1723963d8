import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/actions/download/progress.js';
import { Crc32c } from '../../src/actions/download/crc32c.js';
import { parseGoogHash } from '../../src/actions/download/checksums.js';
import type { Logger } from '../../src/runtime/logger.js';

const MiB = 2 ** 20;

function setup(tty: boolean, total: number | null = 100 * MiB) {
  let now = 0;
  const out: string[] = [];
  const logged: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = { info: (obj: Record<string, unknown>, msg: string) => logged.push({ obj, msg }) } as unknown as Logger;
  const p = new Progress({ version: 'v0.4.5', total, log, sink: { isTTY: tty, write: (s: string) => out.push(s) }, now: () => now });
  return { p, out, logged, tick: (ms: number) => (now += ms) };
}

describe('download progress', () => {
  it('on a terminal: one line redrawn in place at most every 200 ms, with bytes, rate and ETA, erased at the end', () => {
    const { p, out, tick } = setup(true);
    for (let i = 0; i < 100; i++) {
      tick(20); // a chunk of 1 MiB every 20 ms: 50 MiB/s
      p.add(MiB);
    }
    p.end();
    // 2 s of chunks: redrawn every 200 ms, never more often
    expect(out.length).toBe(11);
    expect(out[0]).toBe('\rdownloading v0.4.5: 10 MiB of 100 MiB (10%), 50 MiB/s, 2 s left\x1b[K');
    expect(out[9]).toMatch(/^\rdownloading v0\.4\.5: 100 MiB of 100 MiB \(100%\), 50 MiB\/s, 0 s left\x1b\[K$/);
    expect(out.at(-1)).toBe('\r\x1b[K');
    expect(out.slice(0, -1).every((l) => l.startsWith('\r') && !l.includes('\n'))).toBe(true);
  });

  it('not a terminal: a plain log line at most every 10 s, none for a shorter download, never a \\r', () => {
    const short = setup(false);
    for (let i = 0; i < 90; i++) {
      short.tick(100);
      short.p.add(MiB);
    }
    short.p.end();
    expect(short.logged).toEqual([]);
    expect(short.out).toEqual([]);

    const slow = setup(false, 300 * MiB);
    for (let i = 0; i < 300; i++) {
      slow.tick(100); // 10 MiB/s: 30 s
      slow.p.add(MiB);
    }
    slow.p.end();
    expect(slow.out).toEqual([]);
    expect(slow.logged.map((l) => l.msg)).toEqual([
      'downloading v0.4.5: 100 MiB of 300 MiB (33%), 10 MiB/s, 20 s left',
      'downloading v0.4.5: 200 MiB of 300 MiB (66%), 10 MiB/s, 10 s left',
      'downloading v0.4.5: 300 MiB of 300 MiB (100%), 10 MiB/s, 0 s left',
    ]);
    expect(slow.logged[0]!.obj).toEqual({ version: 'v0.4.5', bytes: 100 * MiB, total: 300 * MiB, bytesPerSecond: 10 * MiB, etaSeconds: 20 });
  });

  it('without a Content-Length: bytes and rate, no ETA', () => {
    const { p, out, tick } = setup(true, null);
    tick(1000);
    p.add(5 * MiB);
    expect(out[0]).toBe('\rdownloading v0.4.5: 5.0 MiB, 5.0 MiB/s\x1b[K');
  });
});

describe('crc32c (slice-by-8)', () => {
  it('matches the published check value and is the same however the bytes are split', () => {
    // CRC-32C of "123456789" is 0xE3069283 (RFC 3720)
    expect(new Crc32c().update(Buffer.from('123456789')).digest()).toBe(0xe3069283);
    const data = Buffer.from(Array.from({ length: 10_007 }, (_, i) => (i * 131 + 7) & 0xff));
    const whole = new Crc32c().update(data).digest();
    for (const cut of [1, 3, 8, 13, 4096]) {
      const c = new Crc32c();
      for (let o = 0; o < data.length; o += cut) c.update(data.subarray(o, o + cut));
      expect(c.digest()).toBe(whole);
    }
    expect(new Crc32c().base64()).toBe('AAAAAA==');
  });

  it('parses x-goog-hash as GCS sends it: one header or two', () => {
    expect(parseGoogHash('crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ==')).toEqual({ crc32c: 'n03x6A==', md5: 'Ojk9c3dhfxgoKVVHYwFbHQ==' });
    expect(parseGoogHash(['crc32c=n03x6A==', 'md5=Ojk9c3dhfxgoKVVHYwFbHQ=='])).toEqual({ crc32c: 'n03x6A==', md5: 'Ojk9c3dhfxgoKVVHYwFbHQ==' });
    expect(parseGoogHash('crc32c=n03x6A==')).toEqual({ crc32c: 'n03x6A==' });
    expect(parseGoogHash(undefined)).toEqual({});
  });
});
