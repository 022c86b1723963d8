import type { Desired } from '../desired/types.js';
import { RUNBOOK_LINKS } from '../layout.js';
import type { Observed } from '../observe/types.js';
import type { Reuse } from './checks.js';
import { list, providerList } from './describe.js';
import { carriedEnvFiles, chownStep, nodeEnvFiles } from './node-env.js';
import { llmReleaseStep } from './release-steps.js';
import { reclaimable } from './retention.js';
import type { PrepareStep, SetLlmStep } from './types.js';

/**
 * The preparation of a version folder, as step values: what an interrupted run left in the way,
 * then download, set up, carry, link, configure, check, mark. Also the small steps other plans
 * share (the LLM providers, the backup before a stop, the routing of links through `current`).
 */

/**
 * What an interrupted run left in the way of a preparation of the desired version: staging
 * folders, and a folder of its own that may not be used (unfinished, or prepared for other inputs).
 */
export function clearTheWay(d: Desired, o: Observed, reuse: Reuse): PrepareStep[] {
  const v = d.version;
  const out: PrepareStep[] = [];
  if (o.staging.length) {
    out.push({
      kind: 'clean-staging',
      names: o.staging,
      description: `remove ${o.staging.length} staging folder(s) an interrupted run left under ${d.layout.stagingDir}`,
    });
  }
  if (reuse === 'unfinished' || reuse === 'stale') {
    const why = reuse === 'unfinished' ? 'glr began preparing it and did not finish' : 'it was prepared for another shared DB, checksum or envFile';
    out.push({ kind: 'remove-version', version: v, description: `remove ${d.layout.versionDir(v)}: ${why}` });
  }
  return out;
}

/**
 * How the new version stands to the running one's DB: `sameDbAs` the version whose DB it shares
 * (its protocol is compared), or a DB of its own, created when absent (`createDb`).
 */
export interface DbPlan {
  sameDbAs: { version: string; protocol: string | null } | null;
  createDb: boolean;
  /** the running DB, whose owner a created one gets */
  runningDb?: string | null;
}

/** Download, set up, carry, link, configure, check, mark: the new version's folder, complete. */
export function prepareSteps(d: Desired, o: Observed, from: string, db: DbPlan): PrepareStep[] {
  const v = d.version;
  const dir = d.layout.versionDir(v);
  const links = [...new Set([...RUNBOOK_LINKS, ...o.links.switchLinks.map((l) => l.name)])];
  const llmRelease = llmReleaseStep(d, o, from);
  return [
    {
      kind: 'download',
      version: v,
      url: d.release.url,
      sha256: d.release.sha256,
      reclaimable: reclaimable(d, o).versions,
      description: `download ${d.release.url}, verify it (${d.release.sha256 ? 'pinned sha256, ' : ''}the bucket's x-goog-hash when sent), extract into ${dir}`,
    },
    // before the slow setup: a release that is not the version it claims goes at once
    checkVersionStep(d, db.sameDbAs),
    { kind: 'genvm-setup', version: v, argv: d.genvm.setup, description: `run GenVM setup in ${dir}: ${d.genvm.setup.join(' ')}` },
    carryStep(d, o, from),
    ...(db.createDb ? [createDbStep(d, db.runningDb ?? null)] : []),
    { kind: 'link-db', version: v, sharedDb: d.sharedDb, description: `link ${v}/data/node/genlayer.db → ${d.sharedDb}` },
    ...(llmRelease ? [llmRelease] : []),
    ...(Object.keys(d.llm.providers).length ? [setLlmStep(v, d.llm.providers, false)] : []),
    {
      kind: 'check-ready',
      version: v,
      links,
      env: nodeEnvFiles(o),
      description: `check ${v} is complete: GenVM setup left bin/genvm and bin/genvm-modules, an enabled LLM backend has its key set in ${envWords(o)} (greybox: OPENROUTERKEY), and ${list(links)} are there to link to; key paths its config.yaml and the release's config.yaml.example do not share are warned about`,
    },
    ...chownStep(o, v, dir),
    {
      kind: 'mark-prepared',
      version: v,
      url: d.release.url,
      sharedDb: d.sharedDb,
      envFile: d.envFile,
      description: `mark ${v} prepared (.glr-prepared, written last)`,
    },
  ];
}

function carryStep(d: Desired, o: Observed, from: string): PrepareStep {
  const config = d.configFile ? `install ${d.configFile} as configs/node/config.yaml (byte for byte)` : 'carry configs/node/config.yaml (byte for byte)';
  const env = d.envFile ? `install ${d.envFile} as .env (byte for byte, 600)` : 'carry .env (byte for byte, 600)';
  // the node's other environment files inside the version folder go with it, like .env
  const envFiles = carriedEnvFiles(o);
  const others = envFiles.length ? `; carry the node's ${list(envFiles)} (byte for byte, 600)` : '';
  return {
    kind: 'carry',
    from,
    version: d.version,
    configFile: d.configFile,
    envFile: d.envFile,
    envFiles,
    description: `${config}; ${env}${others}; carry the keystore (files 600, folder 700) from ${from}`,
  };
}

/** A breaking switch: the new DB folder, created empty before it is linked (the node fills it and syncs from genesis). */
export function createDbStep(d: Desired, ownerOf: string | null): PrepareStep {
  return {
    kind: 'create-db',
    version: d.version,
    sharedDb: d.sharedDb,
    ownerOf,
    description: `create ${d.sharedDb}, empty, for ${d.version}'s DB (the node syncs it from genesis; nothing of the running DB is copied or touched)`,
  };
}

/** The release's own word on its version (and protocol), before the stop (see actions/check-version.ts). */
export function checkVersionStep(d: Desired, sameDbAs: DbPlan['sameDbAs']): PrepareStep {
  const v = d.version;
  const protocol = sameDbAs
    ? `; its Protocol must be ${sameDbAs.protocol ?? `the one ${sameDbAs.version}'s binary says`}, as it shares ${sameDbAs.version}'s DB (another protocol is a new consensus deployment: refused)`
    : '';
  return {
    kind: 'check-version',
    version: v,
    sameDbAs,
    description: `run ${d.layout.versionDir(v)}/bin/genlayernode version: it must name ${v}${protocol} (a release that cannot say is a warning; a refusal stops nothing)`,
  };
}

/** How a plan names the node's environment files: `.env` on a runbook host. */
export function envWords(o: Observed): string {
  const files = nodeEnvFiles(o).map((f) => ('inVersion' in f ? f.inVersion : f.path));
  return files.length === 1 && files[0] === '.env' ? '.env' : files.length ? `the node's environment files (${list(files)})` : 'no environment file';
}

export function setLlmStep(version: string, providers: Record<string, boolean>, keepPrevious: boolean): SetLlmStep {
  return {
    kind: 'set-llm',
    version,
    providers,
    keepPrevious,
    description: `set LLM providers in ${version}'s GenVM config: ${providerList(providers)}${keepPrevious ? ' (the previous config kept aside until verified)' : ''}`,
  };
}

export function backupStep(d: Desired, version: string, keystore = false): PrepareStep {
  return {
    kind: 'backup',
    version,
    keystore,
    description: keystore
      ? `back up .env, config.yaml and the keystore of ${version} under ${d.layout.backupsDir} (folders 700, files 600) and note the synced block`
      : `back up .env and config.yaml of ${version} under ${d.layout.backupsDir} (mode 600) and note the synced block`,
  };
}

export function routeLinksStep(d: Desired, version: string, links: string[], why: 'route' | 'repair'): PrepareStep {
  const current = d.layout.current;
  return {
    kind: 'route-links',
    version,
    links,
    description:
      why === 'route'
        ? `route ${list(links)} through ${current} → ${version} (each link renamed in place; what they resolve to does not change)`
        : `re-point ${list(links)} at ${current}/<name> (→ ${version})`,
  };
}
