/**
 * The fake bucket in a process of its own (`node dist/bench/bucket.js`, started by
 * bench/lib/bucket.ts): a real bucket is another machine, and its sending at a throttled rate (a
 * token bucket on a 1 ms timer) must not wait on the bench's own event loop, busy with the
 * prober's answers and the hosts, nor lose link time to it. Commands come over IPC, in order:
 * add a tarball, set a fault, list versions, set the page size, answer once every command before
 * has been handled, close.
 */
import { startReleaseServer, type Fault } from '../sandbox/release-server.js';

export type BucketCommand =
  | { op: 'add'; version: string; tarball: Uint8Array }
  | { op: 'fault'; version: string; fault: Fault | null }
  | { op: 'list'; names: string[] }
  | { op: 'pageSize'; n: number }
  | { op: 'settled' }
  | { op: 'close' };

const server = await startReleaseServer();
process.on('message', (m: BucketCommand) => {
  if (m.op === 'add') server.add(m.version, Buffer.from(m.tarball.buffer, m.tarball.byteOffset, m.tarball.byteLength));
  else if (m.op === 'fault') server.fault(m.version, m.fault);
  else if (m.op === 'list') server.list(m.names);
  else if (m.op === 'pageSize') server.pageSize = m.n;
  else if (m.op === 'settled') process.send!({ settled: true });
  else void server.close().then(() => process.exit(0));
});
// a bench that dies (killed, crashed) takes its bucket with it
process.on('disconnect', () => process.exit(0));
process.send!({ origin: server.origin, urlTemplate: server.urlTemplate });
