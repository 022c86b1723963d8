import { stat } from 'node:fs/promises';
import { inspectContainer, statInContainer } from './docker.js';
import { errnoText } from './text.js';

/**
 * Whether GenLayer's Alloy container reads the node's log that runs now. Alloy reads the node's
 * `node.log` through a bind mount (`./data/node/logs:/var/log/genlayer`) that Docker resolved
 * through the root's links when the container started: after a switch it still shows the old
 * version's file until the container is restarted (GenLayer's sharp edge
 * `alloy-stale-bind-mount`), and the validator looks offline to GenLayer's monitoring. The same
 * file means the same device and inode, inside the container and on the host.
 */
export interface TelemetryReading {
  container: string;
  /** where the container reads the node's log */
  logPath: string;
  /**
   * fresh: the container's file is the host's node.log; stale: it is another file, or none;
   * unknown: it cannot be told (docker missing, no such container, the container not running)
   */
  state: 'fresh' | 'stale' | 'unknown';
  /** one line: what was seen (stale), or why it cannot be told (unknown); null when fresh */
  detail: string | null;
}

/** Reads it now: `hostLog` (followed through the links) against `logPath` inside `container`. */
export async function readTelemetry(container: string, logPath: string, hostLog: string): Promise<TelemetryReading> {
  const at = { container, logPath };
  let host: { dev: number; ino: number };
  try {
    host = await stat(hostLog);
  } catch (e) {
    return { ...at, state: 'unknown', detail: `the node's log ${hostLog} cannot be read (${errnoText(e)})` };
  }
  const seen = await statInContainer(container, logPath);
  if (seen.ok) {
    if (seen.dev === host.dev && seen.ino === host.ino) return { ...at, state: 'fresh', detail: null };
    return {
      ...at,
      state: 'stale',
      detail: `${container} reads another file at ${logPath} (device ${seen.dev} inode ${seen.ino}) than ${hostLog} (device ${host.dev} inode ${host.ino})`,
    };
  }
  // the exec failed: a container that runs and has no such file reads nothing of the node's
  const c = await inspectContainer(container);
  if (!c.ok) return { ...at, state: 'unknown', detail: c.problem };
  if (!c.info.running) return { ...at, state: 'unknown', detail: `${container} is not running (${c.info.status})` };
  return { ...at, state: 'stale', detail: `${container} has no ${logPath} (${seen.problem})` };
}
