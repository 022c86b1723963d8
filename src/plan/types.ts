/**
 * A plan is a value: what `--dry-run` prints (as text, or as this JSON with `--json`) is exactly
 * what `apply` executes, action by action, in order. Each action carries everything it needs;
 * apply never consults the desired file again.
 */
export type Group = 'prepare' | 'switch' | 'verify';

interface Base {
  /** one line, what the action will do */
  description: string;
}

export type PrepareAction =
  /** delete staging folders left by an interrupted run (glr's own, under .glr/staging) */
  | (Base & { kind: 'clean-staging'; group: 'prepare'; names: string[] })
  /**
   * delete a version folder of glr's that may not be used: unfinished (.glr-preparing), or
   * prepared for other inputs. Never a folder glr did not make, never the running one.
   */
  | (Base & { kind: 'remove-version'; group: 'prepare'; version: string })
  /** record that the version running healthy before glr is a known-good one to return to */
  | (Base & { kind: 'adopt'; group: 'prepare'; version: string; sharedDb: string })
  /**
   * make every switch link go through `current`: create `current` → version (if absent), then
   * rename a link `name` → `current/name` over each link; nothing an observer resolves changes
   */
  | (Base & { kind: 'route-links'; group: 'prepare'; version: string; links: string[] })
  /** stream the tarball: verify (sha256, x-goog-hash), extract into staging, move to {root}/V */
  | (Base & { kind: 'download'; group: 'prepare'; version: string; url: string; sha256: string | null })
  | (Base & { kind: 'genvm-setup'; group: 'prepare'; version: string; argv: string[] })
  /** config.yaml and .env byte for byte, the keystore with modes 600/700 */
  | (Base & { kind: 'carry'; group: 'prepare'; from: string; version: string })
  | (Base & { kind: 'link-db'; group: 'prepare'; version: string; sharedDb: string })
  /**
   * in the prepare group for a new version; in the switch group (between stop and start) when
   * it changes the running version's config, so that a crash never leaves a node running on a
   * config that differs from its file
   */
  | (Base & { kind: 'set-llm'; group: 'prepare' | 'switch'; version: string; providers: Record<string, boolean> })
  /** the new folder is complete: LLM backends usable, every switch link's target present */
  | (Base & { kind: 'check-ready'; group: 'prepare'; version: string; links: string[]; from: string })
  | (Base & { kind: 'mark-prepared'; group: 'prepare'; version: string; url: string; sharedDb: string })
  /** .env and config.yaml of the running version to {root}/.glr/backups/, mode 600; note the synced block */
  | (Base & { kind: 'backup'; group: 'prepare'; version: string });

export type SwitchAction =
  | (Base & { kind: 'stop'; group: 'switch' })
  /** one rename(2) of a fresh link over `current` */
  | (Base & { kind: 'swap'; group: 'switch'; from: string | null; to: string })
  | (Base & { kind: 'start'; group: 'switch' });

export type VerifyAction = Base & {
  kind: 'verify';
  group: 'verify';
  version: string;
  timeoutSeconds: number;
  /**
   * where to go back to if `version` is not healthy in time; null: nothing to go back to.
   * Equal to `version` when only the LLM config changed: going back restores that file.
   */
  rollbackTo: string | null;
};

export type Action = PrepareAction | SwitchAction | VerifyAction;

export interface Plan {
  version: string;
  /** the version the links point at now (the rollback target of a switch); null if none */
  from: string | null;
  /**
   * converge: bring the host to `version`.
   * finish-rollback: a rollback was interrupted; finishing it returns to `from` (exit 3).
   */
  intent: 'converge' | 'finish-rollback';
  /** finish-rollback only: the version that failed and is being left */
  rollbackOf: string | null;
  /** non-empty: glr refuses (exit 1) and `actions` is empty */
  refusals: string[];
  actions: Action[];
  /** context for the operator: adoption, the last failure, an interrupted switch */
  notes: string[];
  /** what the plan was computed from */
  basis: {
    observedAt: string;
    links: string | null;
    service: string | null;
    health: string;
  };
}

export function isConverged(p: Plan): boolean {
  return p.refusals.length === 0 && p.actions.length === 0;
}
