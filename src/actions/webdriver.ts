import { refuse } from '../errors.js';
import { inspectContainer } from '../runtime/docker.js';
import type { ApplyContext } from './context.js';

/**
 * GenLayer's pre-switch check (pre-update checklist 4.1, sharp edge `webdriver-not-healthy`):
 * the WebDriver container GenVM's web module uses runs, and Docker says it is healthy
 * (`docker inspect`, `State.Health.Status`; an image without a health check: running). Otherwise
 * the new node would start without it: refused, nothing stopped.
 */
export async function checkWebdriver(ctx: ApplyContext, container: string): Promise<void> {
  const c = await inspectContainer(container);
  const fix = `start it (cd ${ctx.layout.root} && docker compose up -d) and run glr again; nothing was stopped`;
  if (!c.ok) throw refuse(`the WebDriver container cannot be checked: ${c.problem}; GenVM's web module needs it: ${fix}`);
  if (!c.info.running) throw refuse(`the WebDriver container ${container} is not running (${c.info.status}); GenVM's web module needs it: ${fix}`);
  if (c.info.health !== null && c.info.health !== 'healthy') {
    throw refuse(
      `the WebDriver container ${container} is ${c.info.health}, not healthy (docker inspect); GenVM's web module needs it: wait until it is healthy or restart it (docker restart ${container}), then run glr again; nothing was stopped`,
    );
  }
  ctx.log.info({ container, health: c.info.health ?? 'no health check' }, `WebDriver ${container} ${c.info.health ?? 'runs'}`);
}
