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
    const why = reuse === 'unfinished' ? 'glr began preparing it and did not finish' : 'it was prepared for another shared DB or checksum';
    out.push({ kind: 'remove-version', version: v, description: `remove ${d.layout.versionDir(v)}: ${why}` });
  }
  return out;
}

/** Download, set up, carry, link, configure, check, mark: the new version's folder, complete. */
export function prepareSteps(d: Desired, o: Observed, from: string): PrepareStep[] {
  const v = d.version;
  const dir = d.layout.versionDir(v);
  const links = [...new Set([...RUNBOOK_LINKS, ...o.links.switchLinks.map((l) => l.name)])];
  const llmRelease = llmReleaseStep(d, o, from);
  const envFiles = carriedEnvFiles(o);
  const others = envFiles.length ? `, the node's ${list(envFiles)} (byte for byte, 600)` : '';
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
    checkVersionStep(d),
    { kind: 'genvm-setup', version: v, argv: d.genvm.setup, description: `run GenVM setup in ${dir}: ${d.genvm.setup.join(' ')}` },
    {
      kind: 'carry',
      from,
      version: v,
      configFile: d.configFile,
      envFiles,
      description: d.configFile
        ? `install ${d.configFile} as configs/node/config.yaml (byte for byte); carry .env (byte for byte, 600)${others} and the keystore (files 600, folder 700) from ${from}`
        : `carry configs/node/config.yaml and .env (byte for byte, .env 600)${others} and the keystore (files 600, folder 700) from ${from}`,
    },
    { kind: 'link-db', version: v, sharedDb: d.sharedDb, description: `link ${v}/data/node/genlayer.db → ${d.sharedDb}` },
    ...(llmRelease ? [llmRelease] : []),
    ...(Object.keys(d.llm.providers).length ? [setLlmStep(v, d.llm.providers, false)] : []),
    {
      kind: 'check-ready',
      version: v,
      links,
      env: nodeEnvFiles(o),
      description: `check ${v} is complete: GenVM setup left bin/genvm and bin/genvm-modules, an enabled LLM backend has its key set in ${envWords(o)} (greybox: OPENROUTERKEY), and ${list(links)} are there to link to`,
    },
    ...chownStep(o, v, dir),
    { kind: 'mark-prepared', version: v, url: d.release.url, sharedDb: d.sharedDb, description: `mark ${v} prepared (.glr-prepared, written last)` },
  ];
}

/** The release's own word on its version, before the stop (see actions/check-version.ts). */
export function checkVersionStep(d: Desired): PrepareStep {
  const v = d.version;
  return {
    kind: 'check-version',
    version: v,
    description: `run ${d.layout.versionDir(v)}/bin/genlayernode version: it must name ${v} (a release that names another is refused, nothing stopped; one that cannot say is a warning)`,
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

export function backupStep(d: Desired, version: string): PrepareStep {
  return {
    kind: 'backup',
    version,
    description: `back up .env and config.yaml of ${version} under ${d.layout.backupsDir} (mode 600) and note the synced block`,
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
