import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { refuse, type GlrError } from '../errors.js';
import type { Layout } from '../layout.js';
import { statOrNull } from '../runtime/fsx.js';
import { errnoText } from '../runtime/text.js';

/**
 * What keeps glr from writing its own folder, `{root}/.glr` (journal, history, staging, backups,
 * trash): a file where it or one of its folders should be, a folder that refuses writes (a
 * read-only mount; for another user than root, its mode). Read-only to find: `access(W_OK)`
 * writes nothing. The planner refuses any plan that would write, before it begins.
 */
export async function glrFolderProblems(layout: Layout): Promise<string[]> {
  const keeps = `glr keeps its journal, history, staging and backups under ${layout.glrDir}; move it aside and run again`;
  const top = await statOrNull(layout.glrDir);
  if (top && !top.isDirectory()) return [`${layout.glrDir} is not a folder: ${keeps}`];
  const out: string[] = [];
  for (const dir of [layout.stagingDir, layout.backupsDir, layout.trashDir]) {
    const st = await statOrNull(dir);
    if (st && !st.isDirectory()) out.push(`${dir} is not a folder: ${keeps}`);
  }
  // the folder glr writes into: its own, or the root that will hold it
  const into = top ? layout.glrDir : layout.root;
  try {
    await access(into, constants.W_OK);
  } catch (e) {
    out.push(`${into} is read-only (${errnoText(e)}): glr writes its journal, history, staging and backups there; make it writable and run again`);
  }
  return out;
}

/**
 * A file of the host that could not be read while observing it, in one line naming the file:
 * a folder where glr keeps a file (its journal, its history) says so.
 */
export function unreadable(root: string, glrDir: string, e: unknown): GlrError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EISDIR' && err.path?.startsWith(`${glrDir}/`)) {
    return refuse(`cannot observe ${root}: ${err.path} is a folder where glr keeps a file: move it aside and run again`);
  }
  return refuse(`cannot observe ${root}: ${err?.path ? `${err.path}: ` : ''}${errnoText(e)}`);
}
