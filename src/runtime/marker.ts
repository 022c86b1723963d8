import { readFile } from 'node:fs/promises';
import type { Layout } from '../layout.js';
import { atomicWriteFile, isNotFound } from './fsx.js';

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
  };
}

/** `{root}/V/.glr-preparing`: glr created this folder and has not finished it. */
export interface PreparingMarker {
  version: string;
  pid: number;
  at: string;
}

export async function readPrepared(layout: Layout, version: string): Promise<PreparedMarker | null | 'unreadable'> {
  return readJson<PreparedMarker>(layout.preparedMarker(version));
}

export async function readPreparing(layout: Layout, version: string): Promise<PreparingMarker | null | 'unreadable'> {
  return readJson<PreparingMarker>(layout.preparingMarker(version));
}

export async function writePrepared(layout: Layout, marker: PreparedMarker): Promise<void> {
  await atomicWriteFile(layout.preparedMarker(marker.version), `${JSON.stringify(marker, null, 2)}\n`, 0o644);
}

async function readJson<T>(file: string): Promise<T | null | 'unreadable'> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (e) {
    if (isNotFound(e)) return null;
    return 'unreadable';
  }
}
