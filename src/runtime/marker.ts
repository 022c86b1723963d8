import type { Layout } from '../layout.js';
import { atomicWriteFile, lstatOrNull, readJsonOrNull } from './fsx.js';

/**
 * `{root}/V/.glr-prepared`, written last by a preparation (or by the adoption of a version that
 * ran healthy before glr): the folder is complete and may be switched to. A folder without it is
 * never trusted.
 */
export interface PreparedMarker {
  version: string;
  origin: 'prepared' | 'adopted';
  at: string;
  /** what the folder was prepared from; a later file asking for something else re-prepares */
  inputs: {
    url: string | null;
    /** the SHA-256 of the tarball as downloaded */
    sha256: string | null;
    sharedDb: string;
    /** the SHA-256 of the `envFile` installed as its .env; absent when its .env was carried */
    envFileSha256?: string;
  };
}

/** `{root}/V/.glr-preparing`: glr created this folder and has not finished it. */
export interface PreparingMarker {
  version: string;
  pid: number;
  at: string;
}

/**
 * The folder's `.glr-prepared` marker, or null when there is none or it does not name this
 * version (written atomically, so an unreadable one was not written by glr: never trusted).
 */
export async function readPrepared(layout: Layout, version: string): Promise<PreparedMarker | null> {
  const m = (await readJsonOrNull(layout.preparedMarker(version))) as PreparedMarker | null;
  return m?.version === version && (m.origin === 'prepared' || m.origin === 'adopted') ? m : null;
}

/** glr created this folder and has not finished it (`.glr-preparing` is there). */
export async function isPreparing(layout: Layout, version: string): Promise<boolean> {
  return (await lstatOrNull(layout.preparingMarker(version))) !== null;
}

export async function writePrepared(layout: Layout, marker: PreparedMarker): Promise<void> {
  await atomicWriteFile(layout.preparedMarker(marker.version), `${JSON.stringify(marker, null, 2)}\n`, 0o644);
}
