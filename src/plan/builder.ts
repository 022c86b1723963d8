import type { Desired } from '../desired/types.js';
import { Layout } from '../layout.js';
import type { Observed } from '../observe/types.js';
import { runningVersion } from '../observe/retention.js';
import { describeHealth } from '../runtime/health-reading.js';
import { list, providerList } from './describe.js';
import type { FinishStep, Plan, PrepareStep, Rollback, VerifyStep, WindowStep } from './types.js';

/** Collects a plan phase by phase; `done()` gives the value (a refusal empties every phase). */
export class PlanBuilder {
  intent: Plan['intent'] = 'converge';
  target: string;
  switch: Plan['switch'] = null;
  readonly refusals: string[] = [];
  readonly warnings: string[] = [];
  readonly notes: string[] = [];
  readonly prepare: PrepareStep[] = [];
  readonly window: WindowStep[] = [];
  verify: VerifyStep | null = null;
  onFailure: Rollback | null = null;
  readonly finish: FinishStep[] = [];
  readonly layout: Layout;

  constructor(
    readonly d: Desired,
    readonly o: Observed,
  ) {
    this.target = d.version;
    this.layout = new Layout(d.root);
  }

  add(step: PrepareStep): void {
    this.prepare.push(step);
  }

  note(n: string): void {
    this.notes.push(n);
  }

  routeLinks(version: string, links: string[], why: 'route' | 'repair'): void {
    const current = this.layout.current;
    this.add({
      kind: 'route-links',
      version,
      links,
      description:
        why === 'route'
          ? `route ${list(links)} through ${current} → ${version} (each link renamed in place; what they resolve to does not change)`
          : `re-point ${list(links)} at ${current}/<name> (→ ${version})`,
    });
  }

  setLlm(version: string, providers: Record<string, boolean>, keepPrevious: boolean): PrepareStep & WindowStep {
    return {
      kind: 'set-llm',
      version,
      providers,
      keepPrevious,
      description: `set LLM providers in ${version}'s GenVM config: ${providerList(providers)}${keepPrevious ? ' (the previous config kept aside until verified)' : ''}`,
    };
  }

  backup(version: string): void {
    this.add({
      kind: 'backup',
      version,
      description: `back up .env and config.yaml of ${version} under ${this.layout.backupsDir} (mode 600) and note the synced block`,
    });
  }

  refuse(reasons: string[]): Plan {
    this.refusals.push(...reasons);
    return this.done();
  }

  done(): Plan {
    const refused = this.refusals.length > 0;
    const o = this.o;
    return {
      intent: this.intent,
      target: this.target,
      switch: refused ? null : this.switch,
      refusals: [...this.refusals],
      warnings: [...this.warnings],
      notes: [...this.notes],
      prepare: refused ? [] : [...this.prepare],
      window: refused ? [] : [...this.window],
      verify: refused ? null : this.verify,
      onFailure: refused ? null : this.onFailure,
      finish: refused ? [] : [...this.finish],
      basis: {
        observedAt: o.at,
        links: runningVersion(o),
        service: o.service.state,
        health: describeHealth(o.health),
      },
    };
  }
}
