import type { Desired } from '../desired/types.js';
import { compareVersions } from '../desired/version.js';
import { strategyOf, LLM_RELEASE_FILE, luaScriptName } from '../genlayer/llm-strategy.js';
import type { Observed } from '../observe/types.js';
import { mayShipLlmRelease, releaseLinks, wantedStrategy } from './pre-update.js';
import { list } from './describe.js';
import { chownStep, nodeEnvFiles } from './node-env.js';
import { envWords, setLlmStep } from './preparation.js';
import type { PrepareStep } from './types.js';

/**
 * The steps GenLayer's v0.5 procedure adds to a switch, each built here with the description
 * `--dry-run` prints: the LLM strategy, the config file, the doctor and preSwitch hooks before
 * the stop, and the links to every entry a release ships.
 */

/** The release LLM file and the strategy: planned for releases from v0.5 on, or when llm.strategy is set. */
export function llmReleaseStep(d: Desired, o: Observed, from: string): PrepareStep | null {
  const v = d.version;
  if (!mayShipLlmRelease(v) && !d.llm.strategy) return null;
  const { strategy, why } = wantedStrategy(d, o, from);
  const script = strategy
    ? `${luaScriptName(strategy)} (${strategy}, ${why})`
    : `the strategy's script (${why}: refused if the release ships the file; set llm.strategy)`;
  return {
    kind: 'llm-release',
    version: v,
    strategy,
    description: `if ${v} ships third_party/genvm/config/${LLM_RELEASE_FILE} (v0.5.7+), copy it over genvm-module-llm.yaml (every backend) with lua_script_path on ${script}; a release without it keeps its own file`,
  };
}

/**
 * A folder prepared earlier, switched to now: what changed in the file since is applied to it
 * while it does not run: the LLM strategy, and `configFile` when its content differs.
 */
export function readyFolderSteps(d: Desired, o: Observed, from: string, providersChange: boolean): { steps: PrepareStep[]; warnings: string[] } {
  const v = d.version;
  const steps: PrepareStep[] = [];
  const llm = o.llm[v];
  const { strategy } = wantedStrategy(d, o, from);
  const runs = llm?.ok ? strategyOf(llm.luaScriptPath) : null;
  const step = strategy && runs !== strategy ? llmReleaseStep(d, o, from) : null;
  if (step) steps.push(step);
  if ((step && Object.keys(d.llm.providers).length) || providersChange) steps.push(setLlmStep(v, d.llm.providers, false));
  const cf = o.configFile;
  const folder = o.desiredFolder;
  if (d.configFile && cf?.sha256 && folder?.version === v && folder.configSha256 !== cf.sha256) {
    // a version that ran before glr keeps the config it ran with: glr never rewrites it
    if (o.versions.find((f) => f.version === v)?.prepared?.origin !== 'prepared') {
      const warning = `configFile ${d.configFile} differs from ${v}'s configs/node/config.yaml; ${v} ran before glr, so it keeps its own (glr installs configFile only into versions it prepares)`;
      return { steps: [...steps, ...chownStep(o, v, d.layout.versionDir(v))], warnings: [warning] };
    }
    steps.push({
      kind: 'install-config',
      version: v,
      file: d.configFile,
      description: `install ${d.configFile} as ${v}'s configs/node/config.yaml (byte for byte; it differs from the one ${v} was prepared with)`,
    });
  }
  // a folder prepared before the node ran as its own user (or by hand) is given to it too
  return { steps: [...steps, ...chownStep(o, v, d.layout.versionDir(v))], warnings: [] };
}

/** doctor takes `--network` from v0.5.4 (GenLayer's changelog); an older one would refuse the flag. */
const DOCTOR_NETWORK_SINCE = 'v0.5.4';

/**
 * Before the backup and the stop: the WebDriver healthy (GenLayer's pre-switch check), the new
 * version's doctor, then hooks.preSwitch; any of them refuses (exit 1).
 */
export function beforeStopSteps(d: Desired, o: Observed, from: string): PrepareStep[] {
  const v = d.version;
  const dir = d.layout.versionDir(v);
  const steps: PrepareStep[] = [];
  const words = envWords(o);
  const exported = `${words === '.env' ? 'its .env' : words} exported`;
  // the node GenVM's web module serves is started only with service.running
  if (d.preflight.webdriver && d.service.running) {
    const c = d.preflight.webdriver;
    steps.push({
      kind: 'webdriver',
      container: c,
      description: `check the WebDriver container ${c} runs and Docker says it is healthy (GenVM's web module needs it); otherwise the switch is refused (nothing stopped)`,
    });
  }
  if (d.preflight.doctor) {
    const network = d.network && compareVersions(v, DOCTOR_NETWORK_SINCE) >= 0 ? d.network : null;
    steps.push({
      kind: 'doctor',
      version: v,
      network,
      env: nodeEnvFiles(o),
      runAs: o.unit?.owner ?? null,
      description: `run ${dir}/bin/genlayernode doctor${network ? ` --network ${network}` : ''} in ${dir} with ${exported}${o.unit?.owner ? ` as ${o.unit.user}` : ''}; an exit other than 0 or any ✗ line refuses the switch (nothing stopped)${d.network && !network ? ` (network ${d.network} not passed: doctor takes --network from ${DOCTOR_NETWORK_SINCE})` : ''}`,
    });
  }
  if (d.hooks.preSwitch.length) {
    steps.push({
      kind: 'pre-switch',
      version: v,
      from,
      hooks: d.hooks.preSwitch,
      env: nodeEnvFiles(o),
      description: `run hooks.preSwitch (${d.hooks.preSwitch.map((h) => h.join(' ')).join('; ')}) in ${dir} with ${exported}; a failure refuses the switch (nothing stopped)`,
    });
  }
  return steps;
}

/**
 * The root's links to what the new version ships beyond the switch links, made before the stop
 * through `current`: they resolve once `current` names the new version (the swap), never before
 * into another version. Root entries that are not glr's links are left, with a warning.
 * `folderKnown`: the version's folder as observed is the one switched to (not re-prepared).
 */
export function linkReleaseStep(d: Desired, o: Observed, folderKnown: boolean): { steps: PrepareStep[]; warnings: string[] } {
  const v = d.version;
  // a folder about to be (re)prepared is known only once extracted
  const { names, skipped } = folderKnown ? releaseLinks(d, o, v) : { names: null, skipped: [] };
  if (names !== null && names.length === 0) return { steps: [], warnings: skipped };
  const { root, current } = d.layout;
  const step: PrepareStep = {
    kind: 'link-release',
    version: v,
    names,
    description:
      names === null
        ? `link every top-level entry ${v} ships (but .env.example) that ${root} lacks as ${root}/<name> → current/<name>; each resolves once ${current} names ${v} (a root entry that is not such a link is left as it is)`
        : `link ${list(names)} as ${root}/<name> → current/<name>; ${o.links.current?.version === v ? 'resolving into' : `resolving once ${current} names`} ${v}`,
  };
  return { steps: [step], warnings: skipped };
}
