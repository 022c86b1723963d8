import type { Layout } from '../layout.js';
import type { Logger } from '../runtime/logger.js';
import type { ServiceManager } from '../runtime/service.js';
import type { SignalGuard } from '../runtime/signals.js';
import type { Tuning } from '../runtime/tuning.js';
import type { DotEnvs } from './dotenv.js';

/**
 * The means an action works with. What to do comes from the step itself (the plan); this only
 * says how to reach the host: paths, the service manager, the health URL, the log.
 */
export interface ApplyContext {
  layout: Layout;
  log: Logger;
  service: ServiceManager;
  healthUrl: string;
  signals: SignalGuard;
  /** the running version's .env values (observe read them), to scrub from text glr did not write (node logs, setup output) */
  secrets: readonly string[];
  /** the .env files this apply reads, each read once */
  dotenvs: DotEnvs;
  /** the variables of the node's environment files outside its version folder, as observe read them, by path (a child's environment only) */
  envValues: ReadonlyMap<string, Readonly<Record<string, string>>>;
  tuning: Tuning;
}
