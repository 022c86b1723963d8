import { pino } from 'pino';
import type { ApplyContext } from '../../src/actions/context.js';
import { DotEnvs } from '../../src/actions/dotenv.js';
import { Layout } from '../../src/layout.js';
import { SignalGuard } from '../../src/runtime/signals.js';
import { tuningFromEnv } from '../../src/runtime/tuning.js';

/** The means of an apply on `root`, for tests that call an action or `apply` directly: a silent log, a node that always runs. */
export function applyContext(root: string): ApplyContext {
  const log = pino({ level: 'silent' });
  const layout = new Layout(root);
  return {
    layout,
    log,
    service: { description: 'test', state: async () => 'running', start: async () => {}, stop: async () => {}, stopBoundMs: (ms) => ms },
    healthUrl: 'http://127.0.0.1:1/health',
    signals: new SignalGuard(log),
    secrets: [],
    dotenvs: new DotEnvs(layout),
    envValues: new Map(),
    tuning: tuningFromEnv({}),
  };
}
