import { runContextOf, type RunContext } from './run-context';
import type { TemplateValue } from '../rules/mapping.schema';
import { maskValues } from '../observability/redact';
import { createSecretBox, type SecretBox } from '../security/secret-box';
import { secretParamValues } from './secret-params';
import { randomBytes } from 'node:crypto';
import type { RunContextRepository } from '../store/run-context.repository';

/**
 * Secret params at rest: in `runs.context`, the value of each param named in `secret_params` is
 * sealed with the secret box (AES-256-GCM), bound to its rule and param name (not to the run: a
 * change's rollback run carries its failed run's context), and opened only in
 * memory when a step attempt (or the run's write-back) is rendered. The step rows never hold the
 * values: they keep the templates (`{{ params.vault_pass }}`), rendered per attempt.
 */
const MASK = '[redacted]';

const boundTo = (context: RunContext, name: string) => `rule:${context.rule.id}:param:${name}`;

/**
 * The context to store: secret params sealed, their names listed in `sealedParams`. The values came
 * from the ticket or the work-note command, so the stored ticket snapshot and command arguments show
 * them masked, as every other output does (templates reading those fields later see the mask).
 */
export function sealSecretParams(context: RunContext, box: SecretBox): RunContext {
  const names = (context.secretParams ?? []).filter((name) => Object.hasOwn(context.params, name));
  if (names.length === 0) return context;
  const params = { ...context.params };
  for (const name of names) params[name] = box.seal(JSON.stringify(params[name]), boundTo(context, name));
  const secrets = secretParamValues(context);
  const masked = (fields: Record<string, string>) =>
    Object.fromEntries(Object.entries(fields).map(([key, text]) => [key, maskValues(text, secrets)]));
  return {
    ...context,
    ticket: masked(context.ticket),
    ...(context.command ? { command: { ...context.command, args: masked(context.command.args) } } : {}),
    params,
    sealedParams: names,
  };
}

/** The context as templates need it: sealed params opened (throws `secrets.*` when they cannot be). */
export function openSecretParams(context: RunContext, box: SecretBox): RunContext {
  if (!context.sealedParams?.length) return context;
  const params = { ...context.params };
  for (const name of context.sealedParams)
    params[name] = JSON.parse(box.open(String(params[name]), boundTo(context, name))) as TemplateValue;
  const { sealedParams: _opened, ...rest } = context;
  return { ...rest, params };
}

/** Params for display (the shadow-mode audit entry): secret ones masked, sealed or not. */
export function paramsForDisplay(context: RunContext): Record<string, TemplateValue> {
  const secret = new Set(context.secretParams ?? []);
  return Object.fromEntries(
    Object.entries(context.params).map(([name, value]) => [name, secret.has(name) ? MASK : value]),
  );
}

/** Re-seals a stored context's secret params under the box's current key (`snowline secrets rotate`). */
export function resealSecretParams(context: RunContext, box: SecretBox): RunContext | undefined {
  const stale = (context.sealedParams ?? []).some(
    (name) => box.keyIdOf(String(context.params[name])) !== box.currentKeyId,
  );
  return stale ? sealSecretParams(openSecretParams(context, box), box) : undefined;
}

/**
 * Re-seals the secret params of every stored run still sealed under a retired key, so the retired
 * key can be dropped; returns how many runs were re-sealed.
 */
export async function resealStoredRuns(runContexts: RunContextRepository, box: SecretBox): Promise<number> {
  let resealed = 0;
  for (const row of await runContexts.withSealedParams()) {
    const fresh = resealSecretParams(runContextOf(row), box);
    // Only if the row is unchanged since it was read: a concurrent update keeps its own context.
    if (fresh && (await runContexts.replaceIfUnchanged(row.id, row.context, JSON.stringify(fresh)))) resealed += 1;
  }
  return resealed;
}

let processBox: SecretBox | undefined;

/**
 * A box under a random key that lives as long as this process: used when no `secrets.key` is
 * configured, so secret params are still never stored in clear. Runs interrupted by a restart
 * cannot open their secret params then, and their next step fails saying so.
 */
export function processSecretBox(): SecretBox {
  processBox ??= createSecretBox({ current: randomBytes(32).toString('hex') });
  return processBox;
}
