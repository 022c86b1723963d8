/**
 * A plan is a value. `--dry-run` prints it (as text, or as this JSON with `--json`) and `apply`
 * executes it: both walk `stepsOf(plan)` (src/plan/steps.ts), so the order printed is the order
 * run. Each step carries everything it needs; apply never consults the desired file again, but
 * to ask, in `confirm-desired` right before the stop, whether the change was withdrawn.
 *
 * Its phases, in the order they run:
 *   prepare  while the old node keeps validating; a failure here undoes what it began (exit 1)
 *   window   signals held; the old node stops, the links move, a node starts
 *   verify   the node must become healthy on a version in time, or `onFailure` runs
 *   finish   after the outcome is known (the journal is closed with it)
 */
import type { LlmStrategy } from '../desired/types.js';
import type { NodeEnvFile } from '../observe/types.js';

export type { NodeEnvFile };

export type Phase = 'prepare' | 'window' | 'verify' | 'finish';

interface Base {
  /** one line: what the step will do, said before it does it */
  description: string;
}

export type PrepareStep =
  /** delete staging folders left by an interrupted run (glr's own, under .glr/staging) */
  | (Base & { kind: 'clean-staging'; names: string[] })
  /**
   * delete a version folder of glr's that may not be used: unfinished (.glr-preparing), or
   * prepared for other inputs. Never a folder glr did not make, never the running one.
   */
  | (Base & { kind: 'remove-version'; version: string })
  /** stream the tarball: verify (sha256, x-goog-hash), extract into staging, move to {root}/V */
  /**
   * `reclaimable`: what `glr prune` would remove now; a disk refusal says how much that frees
   */
  | (Base & { kind: 'download'; version: string; url: string; sha256: string | null; reclaimable: string[] })
  /**
   * the release's own `bin/genlayernode version` must name `version`: one that names another
   * is refused (nothing stopped); one that cannot say is a warning. `sameDbAs`: the running
   * version whose DB this one will use, and the protocol its node answers with (/health
   * `protocol_version`; null: not told, then its own binary is asked): a release whose
   * `Protocol:` differs is refused (a new consensus deployment needs a DB of its own)
   */
  | (Base & { kind: 'check-version'; version: string; sameDbAs: { version: string; protocol: string | null } | null })
  /**
   * a breaking switch: the new version's DB folder, created empty (the node fills it; never a
   * link to nowhere, which the real node fails on with "mkdir …/genlayer.db: file exists"),
   * owned as `ownerOf` (the running DB: the node's user) when glr runs as root
   */
  | (Base & { kind: 'create-db'; version: string; sharedDb: string; ownerOf: string | null })
  /**
   * `POST /snapshot` (v0.5.11+, ops port) while the old node runs: a consistent checkpoint of
   * the DB `version` runs on, into `dest`; the operator token looked up in the node's
   * environment files (`env`), never shown. Then the snapshots beyond the newest `keep` are removed
   */
  | (Base & { kind: 'snapshot'; version: string; db: string; dest: string; url: string; keep: number; remove: string[]; env: NodeEnvFile[] })
  | (Base & { kind: 'genvm-setup'; version: string; argv: string[] })
  /**
   * config.yaml and .env byte for byte, the keystore with modes 600/700; with `configFile`, that
   * file is installed as config.yaml instead of the running version's; with `envFile`, that file
   * as .env (mode 600) instead of the running version's
   */
  | (Base & { kind: 'carry'; from: string; version: string; configFile: string | null; envFile: string | null; envFiles: string[] })
  | (Base & { kind: 'link-db'; version: string; sharedDb: string })
  | SetLlmStep
  /** the new folder is complete: LLM backends usable (keys looked up in `env`), every switch link's target present */
  | (Base & { kind: 'check-ready'; version: string; links: string[]; env: NodeEnvFile[] })
  /**
   * the version's folder and everything in it owned by the node's user and group (as the
   * runbook's `chown -R`): links themselves, never what they point to
   */
  | (Base & { kind: 'chown'; version: string; user: string; uid: number; gid: number })
  /** the WebDriver container runs and Docker says it is healthy: GenVM's web module needs it */
  | (Base & { kind: 'webdriver'; container: string })
  /** `.glr-prepared`, written last: from now on the folder may be switched to (`envFile`: its .env came from it) */
  | (Base & { kind: 'mark-prepared'; version: string; url: string; sharedDb: string; envFile: string | null })
  /**
   * .env and config.yaml of the running version to {root}/.glr/backups/, mode 600; note the
   * synced block; `keystore` (before a breaking switch): its keystore too (folder 700, files 600)
   */
  | (Base & { kind: 'backup'; version: string; keystore: boolean })
  /** record that the version running healthy before glr is a known-good one to return to */
  | (Base & { kind: 'adopt'; version: string; sharedDb: string })
  /**
   * make every switch link go through `current`: create `current` → version (if absent), then
   * rename a link `name` → `current/name` over each link; nothing an observer resolves changes
   */
  | (Base & { kind: 'route-links'; version: string; links: string[] })
  /** read the version's binaries and GenVM files once, so that its start reads the page cache */
  | (Base & { kind: 'warm-cache'; version: string })
  | ConfirmDesiredStep
  /**
   * v0.5.7+: when the release ships genvm-modules-llm-release.yaml, copy it over
   * genvm-module-llm.yaml with `lua_script_path` on the strategy's script (before set-llm);
   * a release without it is left as shipped. `strategy` null: the running version's could not be
   * told and the file sets none (refused if the release ships the file)
   */
  | (Base & { kind: 'llm-release'; version: string; strategy: LlmStrategy | null })
  /** `configFile` over the version's config.yaml (a folder prepared before the file changed) */
  | (Base & { kind: 'install-config'; version: string; file: string })
  /**
   * the version's `bin/genlayernode doctor [--network N]`, in its folder, the node's environment
   * files exported, as the node's user (`runAs`, null: as glr): a ✗ line or an exit ≠ 0 refuses
   */
  | (Base & { kind: 'doctor'; version: string; network: string | null; env: NodeEnvFile[]; runAs: { uid: number; gid: number } | null })
  /** hooks.preSwitch, in the version's folder, the node's environment files exported; a failure refuses */
  | (Base & { kind: 'pre-switch'; version: string; from: string; hooks: string[][]; env: NodeEnvFile[] })
  /**
   * `{root}/X → current/X` for each top-level entry the version ships that the root lacks
   * (resolving once `current` names it); `names` null: every one the release ships (but
   * .env.example), known once it is extracted
   */
  | (Base & { kind: 'link-release'; version: string; names: string[] | null });

/**
 * The last step before the stop: the desired file read again; when it no longer asks for this
 * switch (`asks`: what it asked when the plan was made), the switch is not made (nothing stopped)
 */
type ConfirmDesiredStep = Base & {
  kind: 'confirm-desired';
  file: string;
  asks: { version: string; root: string; sharedDb: string; sha256: string | null };
};

/**
 * Sets providers in a version's GenVM LLM config. In the prepare phase for a new version; in the
 * window (between stop and start) for the version that runs, with `keepPrevious` so that a
 * failed restart can put the file back.
 */
export type SetLlmStep = Base & { kind: 'set-llm'; version: string; providers: Record<string, boolean>; keepPrevious: boolean };

export type WindowStep =
  /** the journal opens: from here a crash leaves a record of where the switch got to */
  | (Base & { kind: 'open-journal'; phase: 'switching' | 'rolling-back' })
  /** stop the node and wait until the manager confirms it stopped (journal: stopped) */
  | (Base & { kind: 'stop' })
  /** one rename(2) of a fresh link over `current` (journal: swapped) */
  | (Base & { kind: 'swap'; to: string })
  | SetLlmStep
  /** put back the LLM config `set-llm` saved (a rollback of a providers change) */
  | (Base & { kind: 'restore-llm'; version: string })
  /** start the node; first ask the manager again unless this window confirmed the stop (journal: started) */
  | (Base & { kind: 'start' })
  /**
   * a rollback with snapshots.restoreOnRollback: the DB `version` wrote renamed aside to `aside`
   * (kept, never deleted by glr), then the snapshot renamed into its place
   */
  | (Base & { kind: 'restore-db'; version: string; snapshot: string; db: string; aside: string });

export interface VerifyStep extends Base {
  kind: 'verify';
  version: string;
  timeoutSeconds: number;
  /**
   * 'at-least-noted': once healthy, its `genlayer_node_synced_block` (/metrics) must reach the
   * block the backup noted before the stop (GenLayer's post-switch check) within the same time;
   * not compared when /metrics does not answer or nothing was noted
   */
  syncedBlock: 'at-least-noted' | null;
  /**
   * after a breaking switch (a DB of its own, synced from genesis): accepted once the node runs
   * on `version` (/health answers as it, 200 or 503) and its sync shows progress (/metrics:
   * synced block rising or blocks behind falling) over this many seconds; null: healthy, as above
   */
  progressSeconds: number | null;
}

export type FinishStep =
  /** closes the journal with the outcome: done, rolled-back, failed or aborted */
  | (Base & { kind: 'close-journal' })
  /**
   * hooks.postSwitch, after a change of the running version, once the node is up: with
   * GLR_OUTCOME switched (applied: GLR_VERSION = entering) or rolled-back (GLR_VERSION = leaving);
   * not run on any other outcome. A failure is reported, never a rollback.
   */
  | (Base & { kind: 'post-switch'; hooks: string[][]; leaving: string; entering: string })
  /**
   * after a change of the running version, once the node is up: the Alloy container must read
   * the running version's node.log (same device and inode as `{root}/data/node/logs/node.log`);
   * stale: restarted (or recreated from its compose file when the release's compose file or .env
   * changed between `leaving` and `entering`), then checked again. Still stale: reported, never a
   * rollback.
   */
  | (Base & { kind: 'check-telemetry'; container: string; logPath: string; leaving: string; entering: string })
  /**
   * the verdict on the version entered: a rolled-back outcome marks it bad
   * ({root}/.glr/bad-releases.json), an applied one takes an earlier mark off; others write nothing
   */
  | (Base & { kind: 'mark-release'; version: string })
  /**
   * retention, only on outcome `applied` (after verify: it never delays a switch): each version
   * renamed aside under {root}/.glr/trash, then deleted; each checked again first (marker,
   * links, journal). A failure is logged, never the outcome.
   */
  | (Base & { kind: 'prune'; remove: { version: string; why: 'bad' | 'beyond-retain' }[]; retain: number });

export type Step = PrepareStep | WindowStep | VerifyStep | FinishStep;

/** What runs when a window step fails or the node is not healthy in time: the way back. */
export interface Rollback {
  /** the version returned to */
  to: string;
  /** stop, then `current` back (or the previous LLM config), then start */
  window: WindowStep[];
  /** null when the node is not to be started (service.running false) */
  verify: VerifyStep | null;
}

export interface Plan {
  /**
   * converge: bring the host to `target`.
   * finish-rollback: a rollback was interrupted; finishing it returns to `target` (exit 3).
   * prepare-ahead: prepare `target` beside the running version and switch nothing (`glr watch`
   * with `prepareAhead: patch`); only prepare steps, then retention.
   */
  intent: 'converge' | 'finish-rollback' | 'prepare-ahead';
  /** the version the host runs when the plan succeeds */
  target: string;
  /**
   * the switch this plan makes (or finishes), as the journal records it: the version it leaves
   * (where a rollback returns; null when none is known) and the version it enters. Null when
   * the plan touches no running version.
   */
  switch: { leaving: string | null; entering: string } | null;
  /** non-empty: glr refuses (exit 1) and every phase is empty */
  refusals: string[];
  /** shown with the plan; never stop it */
  warnings: string[];
  /** context for the operator: adoption, the last failure, an interrupted switch */
  notes: string[];
  prepare: PrepareStep[];
  window: WindowStep[];
  verify: VerifyStep | null;
  /** the rollback: null when there is nothing to return to (a failure then needs the operator) */
  onFailure: Rollback | null;
  finish: FinishStep[];
  /** what the plan was computed from */
  basis: {
    observedAt: string;
    links: string | null;
    service: string | null;
    health: string;
  };
}
