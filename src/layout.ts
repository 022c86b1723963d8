import path from 'node:path';

/**
 * The six links the runbook switches. Newer releases add more top-level entries; every link into
 * the running version's folder is a switch link (src/observe/links.ts).
 */
export const RUNBOOK_LINKS = ['bin', 'third_party', 'data', 'configs', 'docker-compose.yaml', '.env'] as const;

/** Names glr owns at the top of the root: never treated as switch links or version folders. */
export const CURRENT = 'current';
export const GLR_DIR = '.glr';
export const PREPARED_MARKER = '.glr-prepared';
export const PREPARING_MARKER = '.glr-preparing';

/**
 * Every on-disk path glr uses, derived from the absolute root. Nothing here depends on the
 * working directory.
 */
export class Layout {
  constructor(readonly root: string) {
    if (!path.isAbsolute(root)) throw new Error(`layout root must be absolute: ${root}`);
  }

  /** `{root}/current`: the one link that moves at a switch */
  get current(): string {
    return path.join(this.root, CURRENT);
  }
  link(name: string): string {
    return path.join(this.root, name);
  }
  /** `target` is glr's own link for `{root}/name`: through `current` (relative, as glr writes it, or absolute) */
  leadsViaCurrent(name: string, target: string | null): boolean {
    return target === `${CURRENT}/${name}` || target === path.join(this.current, name);
  }
  versionDir(version: string): string {
    return path.join(this.root, version);
  }
  /** the shared DB of a MAJOR.MINOR series (`v0.5`) where the runbook puts it */
  seriesDb(series: string): string {
    return this.dbLink(path.join(this.root, series));
  }
  preparedMarker(version: string): string {
    return path.join(this.versionDir(version), PREPARED_MARKER);
  }
  preparingMarker(version: string): string {
    return path.join(this.versionDir(version), PREPARING_MARKER);
  }

  /** Files inside a version folder (or, through the links, inside `{root}` itself). */
  configYaml(base: string): string {
    return path.join(base, 'configs/node/config.yaml');
  }
  env(base: string): string {
    return path.join(base, '.env');
  }
  keystore(base: string): string {
    return path.join(base, 'data/node/keystore');
  }
  dbLink(base: string): string {
    return path.join(base, 'data/node/genlayer.db');
  }
  llmConfig(base: string): string {
    return path.join(base, 'third_party/genvm/config/genvm-module-llm.yaml');
  }
  nodeLog(base: string): string {
    return path.join(base, 'data/node/logs/node.log');
  }

  /** glr's own folder: lock, journal, staging, backups, history */
  get glrDir(): string {
    return path.join(this.root, GLR_DIR);
  }
  get journal(): string {
    return path.join(this.glrDir, 'journal.json');
  }
  get history(): string {
    return path.join(this.glrDir, 'history.jsonl');
  }
  get stagingDir(): string {
    return path.join(this.glrDir, 'staging');
  }
  staging(version: string, nonce: string): string {
    return path.join(this.stagingDir, `${version}.${nonce}`);
  }
  get backupsDir(): string {
    return path.join(this.glrDir, 'backups');
  }
  /** one backup of .env and config.yaml, taken at `at` (an ISO time) before leaving `version` */
  backupDir(at: string, version: string): string {
    return path.join(this.backupsDir, `${stamp(at)}-${version}`);
  }
  /** version folders being removed: renamed here first (same filesystem), then deleted */
  get trashDir(): string {
    return path.join(this.glrDir, 'trash');
  }
  /** releases that were rolled back (see src/runtime/bad-releases.ts) */
  get badReleases(): string {
    return path.join(this.glrDir, 'bad-releases.json');
  }
  /** the last run of the postSwitch hooks (see src/runtime/hook-report.ts) */
  get hookReport(): string {
    return path.join(this.glrDir, 'hooks.json');
  }
  /** snapshots of the shared DB taken before a switch (`POST /snapshot`), one folder each */
  get snapshotsDir(): string {
    return path.join(this.glrDir, 'snapshots');
  }
  /** one snapshot, taken at `at` (an ISO time) of the DB `version` ran on */
  snapshotDir(at: string, version: string): string {
    return path.join(this.snapshotsDir, `${stamp(at)}-${version}`);
  }
  /** where a restore puts aside the DB `version` wrote (beside it: the same filesystem); glr never deletes it */
  dbAside(db: string, at: string, version: string): string {
    return `${db}.${stamp(at)}-${version}`;
  }
  /** the LLM config a running version had before `set-llm` changed it, kept until verified */
  llmBackup(version: string): string {
    return path.join(this.backupsDir, `${version}.genvm-module-llm.yaml.previous`);
  }
}

/** An ISO time as a file name part: `2026-11-24T12-00-00-000Z`. */
function stamp(at: string): string {
  return at.replace(/[:.]/g, '-');
}

/**
 * Top-level entries of a version folder that `{root}` links (through `current`) after a switch:
 * everything the release ships but `.env.example` (a template), and not glr's own markers.
 */
export function isLinkedEntry(name: string): boolean {
  return name !== '.env.example' && name !== CURRENT && name !== GLR_DIR && !name.startsWith('.glr-');
}
