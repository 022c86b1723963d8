/**
 * A ReleaseServer whose server runs in a child process (bench/bucket.ts): the same interface,
 * its commands sent over IPC in order (a request made after `add` finds the tarball, the child
 * handling its messages before any connection it accepts later). `requests` is not kept.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReleaseServer } from '../../sandbox/release-server.js';
import type { BucketCommand } from '../bucket.js';

const BUCKET_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bucket.js');

/**
 * `settled()` resolves once the child has handled every command sent before it: an `add` hashes
 * its tarball there (md5 and a byte-wise crc32c, over a second for a real-size one), and a
 * request made before would wait for it, in the first round's time.
 */
export async function startBucketProcess(): Promise<ReleaseServer & { settled(): Promise<void> }> {
  const child = fork(BUCKET_JS, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { origin, urlTemplate } = await new Promise<{ origin: string; urlTemplate: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { origin: string; urlTemplate: string }));
    child.once('exit', (code) => reject(new Error(`the bucket process exited (${code}) before it listened`)));
  });
  const send = (m: BucketCommand) => child.send(m);
  let pageSize = 2;
  return {
    origin,
    urlTemplate,
    add: (version, tarball) => send({ op: 'add', version, tarball }),
    fault: (version, fault) => send({ op: 'fault', version, fault }),
    list: (names) => send({ op: 'list', names }),
    get pageSize() {
      return pageSize;
    },
    set pageSize(n: number) {
      pageSize = n;
      send({ op: 'pageSize', n });
    },
    requests: [],
    settled: () =>
      new Promise<void>((resolve, reject) => {
        const answer = (m: unknown) => {
          if ((m as { settled?: boolean }).settled !== true) return;
          child.off('message', answer);
          child.off('exit', gone);
          resolve();
        };
        const gone = () => reject(new Error('the bucket process exited'));
        child.on('message', answer);
        child.once('exit', gone);
        send({ op: 'settled' });
      }),
    async close() {
      send({ op: 'close' });
      await exited;
    },
  };
}
