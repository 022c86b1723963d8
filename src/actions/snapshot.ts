import { chmod, chown, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { refuse } from '../errors.js';
import { ensureDir, fsyncDir, lstatOrNull, removeTree } from '../runtime/fsx.js';
import { httpPostJson } from '../runtime/http-request.js';
import { networkProblem } from '../runtime/http.js';
import { clip, errnoText, loggable } from '../runtime/text.js';
import type { NodeEnvFile } from '../observe/types.js';
import type { ApplyContext } from './context.js';
import { nodeEnvironment } from './dotenv.js';
import { redact } from '../genlayer/env-file.js';
import { OPERATOR_TOKEN } from '../genlayer/node-config.js';

/**
 * snapshots.beforeSwitch: a consistent checkpoint of the DB `version` runs on, taken by the node
 * itself while it runs (GenLayer, api-references/genlayer-node/ops/snapshot.mdx: `POST /snapshot`
 * with `{"destDir": ABS}` and the operator token → 204; 400 path not absolute or exists; 401 no
 * or wrong token; 500 the checkpoint failed). The token comes from `version`'s .env and never
 * leaves this function: the node's answer, quoted in a refusal, is scrubbed of it and of every
 * secret of the node's environment. The node writes `dest` as its own user: when glr runs as root and the DB
 * belongs to another user, the snapshots folder is given to that user and `.glr` may be passed
 * through (711; what is inside it stays 700/600). Then the older snapshots the plan names
 * (those beyond the newest `keep`, as observe found them) are removed.
 */
export async function takeSnapshot(
  ctx: ApplyContext,
  s: { version: string; db: string; dest: string; url: string; remove: readonly string[]; env: readonly NodeEnvFile[] },
): Promise<void> {
  const { layout, log } = ctx;
  const env = await nodeEnvironment(ctx, s.version, s.env);
  const token = env.vars[OPERATOR_TOKEN];
  if (!token) throw refuse(`snapshots.beforeSwitch: none of ${s.version}'s environment files sets ${OPERATOR_TOKEN}; nothing was stopped`);
  try {
    await ensureDir(layout.glrDir, 0o700);
    await ensureDir(layout.snapshotsDir, 0o700);
    await giveToNode(layout.glrDir, layout.snapshotsDir, s.db);
  } catch (e) {
    throw refuse(`snapshots.beforeSwitch: cannot make ${layout.snapshotsDir}: ${errnoText(e)}; nothing was stopped`);
  }
  if (await lstatOrNull(s.dest)) throw refuse(`snapshots.beforeSwitch: ${s.dest} exists already; nothing was stopped`);
  const started = Date.now();
  let answer: { statusCode: number; text: string };
  try {
    answer = await httpPostJson(
      s.url,
      { destDir: s.dest },
      { timeoutMs: ctx.tuning.snapshotTimeoutMs, cap: 64 * 1024, headers: { authorization: `Bearer ${token}` } },
    );
  } catch (e) {
    throw refuse(`snapshots.beforeSwitch: POST ${s.url} failed: ${networkProblem(e)}; nothing was stopped`);
  }
  if (answer.statusCode !== 204 && answer.statusCode !== 200)
    throw refuse(`snapshots.beforeSwitch: ${redact(refusedBecause(s, answer), [...env.secrets, token])}; nothing was stopped`);
  const st = await stat(s.dest).catch(() => null);
  if (!st?.isDirectory()) throw refuse(`snapshots.beforeSwitch: the node answered ${answer.statusCode} but ${s.dest} is not there; nothing was stopped`);
  log.info({ version: s.version, snapshot: s.dest, ms: Date.now() - started }, `snapshot of ${s.version}'s DB taken: ${s.dest}`);
  for (const old of s.remove) {
    await removeTree(old).catch((e: unknown) => log.warn({ err: loggable(e), snapshot: old }, 'could not remove an old snapshot; the next one will'));
  }
}

function refusedBecause(s: { url: string; dest: string }, a: { statusCode: number; text: string }): string {
  const said = a.text.trim() ? ` (${clip(a.text.trim().split('\n')[0]!, 160)})` : '';
  switch (a.statusCode) {
    case 401:
      return `the node refused the operator token (401${said}): ${OPERATOR_TOKEN} in the .env is not the one the node read at its start (it reads it then)`;
    case 400:
      return `the node refused ${s.dest} (400${said}): not absolute, or it exists`;
    case 404:
      return `the node does not serve POST /snapshot at ${s.url} (404): v0.5.11+ do`;
    default:
      return `the node could not take the snapshot (HTTP ${a.statusCode}${said}): a full disk, or a DB checkpoint error`;
  }
}

/** The node writes the snapshot as its own user: under root, its folder is given to the DB's owner. */
async function giveToNode(glrDir: string, snapshotsDir: string, db: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = await stat(db).catch(() => null);
  if (!owner || owner.uid === 0) return;
  await chown(snapshotsDir, owner.uid, owner.gid);
  const mode = (await stat(glrDir)).mode & 0o777;
  if (!(mode & 0o001)) await chmod(glrDir, mode | 0o001);
}

/**
 * snapshots.restoreOnRollback, in the rollback's window (the node stopped): the DB the new
 * version wrote goes aside (`aside`, beside it: the same filesystem, one rename; glr never
 * deletes it), then the snapshot is renamed into its place. A missing snapshot fails the
 * rollback (the old version may not start on a DB the new one migrated): the operator must act.
 */
export async function restoreSnapshot(ctx: ApplyContext, r: { version: string; snapshot: string; db: string; aside: string }): Promise<void> {
  const snap = await stat(r.snapshot).catch(() => null);
  if (!snap?.isDirectory()) throw refuse(`the snapshot ${r.snapshot} is not there: the DB cannot be put back`);
  if (await lstatOrNull(r.aside)) throw refuse(`${r.aside} exists: the DB ${r.version} wrote cannot be put aside there`);
  try {
    await rename(r.db, r.aside);
  } catch (e) {
    throw refuse(`putting aside the DB ${r.version} wrote (${r.db} → ${r.aside}) failed: ${errnoText(e)}`);
  }
  try {
    await rename(r.snapshot, r.db);
  } catch (e) {
    await rename(r.aside, r.db).catch(() => {});
    throw refuse(`putting the snapshot ${r.snapshot} in place of ${r.db} failed: ${errnoText(e)}`);
  }
  await Promise.all([fsyncDir(path.dirname(r.db)), fsyncDir(path.dirname(r.snapshot))]).catch(() => {});
  ctx.log.warn({ db: r.db, aside: r.aside, snapshot: r.snapshot }, `the DB is back as the snapshot had it; what ${r.version} wrote is kept at ${r.aside}`);
}
