import { z } from 'zod';
import { VERSION_PATTERN } from './version.js';

/**
 * The schema of desired-state.yaml, as `contract.md` fixes it. Every object is strict: an
 * unknown key is an error (with a suggestion, see load.ts). Defaults and placeholders are
 * resolved afterwards, in load.ts (`resolve`), because some defaults depend on other fields.
 */
const argv = z
  .array(z.string().min(1, 'an argument may not be empty'), 'expected a list of strings (an argv, run without a shell)')
  .min(1, 'expected at least the program to run');

const httpUrl = z.string('expected a URL').refine((s) => /^https?:\/\/[^\s/]+/.test(s), 'must be an http:// or https:// URL');

export const versionField = z
  .string('expected a version string like v0.4.5')
  .regex(VERSION_PATTERN, 'must look like vX.Y.Z or vX.Y.Z-pre (e.g. v0.4.5, v0.5.0-rc1)');

/** A SHA-256 written as 64 hex digits, either case (release.sha256, `glr bump --sha256`). */
export const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;

const absolutePath = z.string('expected an absolute path').refine((s) => s.startsWith('/'), 'must be an absolute path');
/** absolute, or starting with the {root} placeholder (checked again once substituted) */
const rootedPath = z
  .string('expected an absolute path')
  .refine((s) => s.startsWith('/') || s.startsWith('{root}'), 'must be an absolute path (or start with {root})');

/**
 * Hosts as operators run them: the network, the node's user and environment files where no
 * systemd unit says them, the telemetry glr verifies after a switch and the WebDriver it checks
 * before the stop. Kept in one block so that other additions to the schema do not interleave.
 */
const containerName = z.string('expected a container name').regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a Docker container name (letters, digits, _ . -)');
const accountName = z.string('expected a user or group name').regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'must be a user or group name (or a number)');
const hostFields = {
  network: z
    .string('expected a network name, e.g. asimov')
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a GenLayer network name (lower case letters, digits, -), e.g. asimov or bradbury')
    .optional(),
  telemetry: z
    .strictObject({
      alloy: z
        .strictObject({
          container: containerName.nullable().optional(),
          logPath: absolutePath.optional(),
        })
        .optional(),
    })
    .optional(),
};
/** `service:` with manager command: what a systemd unit would say (User=, Group=, EnvironmentFile=) */
const hostServiceFields = {
  user: accountName.optional(),
  group: accountName.optional(),
  environmentFiles: z
    .array(
      z.string('expected an absolute path').refine((s) => s.replace(/^-/, '').startsWith('/'), 'must be an absolute path (a leading - marks an optional file)'),
      'expected a list of absolute paths',
    )
    .optional(),
};
/** `preflight:` the WebDriver container that must be healthy before the stop (null: not checked) */
const hostPreflightFields = { webdriver: containerName.nullable().optional() };

/**
 * GenLayer's v0.5 procedure and checklist: the config to install instead of carrying
 * the running one's (required across a series), the doctor before the stop, and the hooks around
 * a switch. (`llm.strategy` is in the `llm` block.)
 */
const procedureFields = {
  configFile: rootedPath.optional(),
  preflight: z.strictObject({ doctor: z.boolean('expected true or false').optional(), ...hostPreflightFields }).optional(),
  hooks: z
    .strictObject({
      preSwitch: z.array(argv, 'expected a list of argv lists, e.g. [[docker, restart, genlayer-node-alloy]]').optional(),
      postSwitch: z.array(argv, 'expected a list of argv lists, e.g. [[docker, restart, genlayer-node-alloy]]').optional(),
    })
    .optional(),
};

/**
 * The operator's day: retention, metrics and prepare-ahead. Kept in one block so that
 * other additions to the schema do not interleave with it.
 */
const operationsFields = {
  retain: z
    .number('expected a whole number of prepared versions')
    .int('expected a whole number of prepared versions')
    .min(0, 'must be 0 or more')
    .max(1000, 'at most 1000')
    .optional(),
  metrics: z.strictObject({ textfile: absolutePath.optional() }).optional(),
  prepareAhead: z.enum(['off', 'patch'], 'expected off or patch').optional(),
};

/**
 * Breaking upgrades (GenLayer: a new consensus deployment, its own database): the `.env` to
 * install instead of carrying the running one's, and the snapshots taken before a switch that
 * shares the DB. (`health.progressSeconds` is in the `health` block.)
 */
const upgradeFields = {
  envFile: rootedPath.optional(),
  snapshots: z
    .strictObject({
      beforeSwitch: z.boolean('expected true or false').optional(),
      keep: z
        .number('expected a whole number of snapshots')
        .int('expected a whole number of snapshots')
        .min(1, 'must be 1 or more (the snapshot a rollback restores is the newest)')
        .max(100, 'at most 100')
        .optional(),
      restoreOnRollback: z.boolean('expected true or false').optional(),
    })
    .optional(),
};

export const DesiredFileSchema = z.strictObject({
  version: versionField,
  root: absolutePath.optional(),
  sharedDb: rootedPath.optional(),
  release: z
    .strictObject({
      url: httpUrl.optional(),
      sha256: z.string('expected 64 hex digits').regex(SHA256_PATTERN, 'must be 64 hex digits (a SHA-256)').optional(),
    })
    .optional(),
  llm: z
    .strictObject({
      providers: z
        .record(
          z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a provider name is letters, digits, _ . -'),
          z.boolean('expected true (switch on) or false (switch off)'),
        )
        .optional(),
      /** v0.5.7+: the GenVM LLM strategy; unset keeps the running version's (its lua_script_path) */
      strategy: z.enum(['default', 'greybox'], 'expected default or greybox').optional(),
    })
    .optional(),
  genvm: z.strictObject({ setup: argv.optional() }).optional(),
  service: z
    .strictObject({
      running: z.boolean('expected true or false').optional(),
      manager: z.enum(['systemd', 'command'], 'expected systemd or command').optional(),
      unit: z
        .string('expected a unit name')
        .regex(/^[A-Za-z0-9:_.@\\-]+$/, 'must be a systemd unit name (letters, digits, : _ . @ -)')
        .optional(),
      start: argv.optional(),
      stop: argv.optional(),
      status: argv.optional(),
      ...hostServiceFields,
    })
    .optional(),
  health: z
    .strictObject({
      url: httpUrl.optional(),
      timeoutSeconds: z.number('expected a number of seconds').positive('must be more than 0').max(86_400, 'at most a day').optional(),
      /** after a breaking switch: how long the new node's sync must show progress */
      progressSeconds: z.number('expected a number of seconds').positive('must be more than 0').max(86_400, 'at most a day').optional(),
    })
    .optional(),
  ...procedureFields,
  ...operationsFields,
  ...hostFields,
  ...upgradeFields,
});

export type DesiredFile = z.infer<typeof DesiredFileSchema>;

/**
 * The keys each object of the file knows, by dotted path ('' for the top level), for "did you
 * mean" suggestions: read from the schema's objects, so a field added there is known here.
 */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = knownKeys(DesiredFileSchema);

function knownKeys(object: z.ZodObject, at = '', out: Record<string, string[]> = {}): Record<string, string[]> {
  out[at] = Object.keys(object.shape);
  for (const [key, field] of Object.entries(object.shape)) {
    let inner: z.core.SomeType = field;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) inner = inner.unwrap();
    if (inner instanceof z.ZodObject) knownKeys(inner, at ? `${at}.${key}` : key, out);
  }
  return out;
}
