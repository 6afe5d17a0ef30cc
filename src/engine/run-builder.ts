import { randomUUID } from 'node:crypto';
import type { CompiledRule } from '../rules/rule-set';
import { renderString, renderValue } from '../rules/template';
import type { TemplateValue } from '../rules/mapping.schema';
import type { SecretBox } from '../security/secret-box';
import type { DispatchEvent } from './dispatch-types';
import { NO_COMMAND, runContextOf, type RunContext } from './run-context';
import { buildSteps } from './run-steps';
import { paramsForDisplay, sealSecretParams } from './run-secrets';

export interface RunBuilderDeps {
  /** engine.maxActiveRuns: with a global limit every run waits its turn in state `queued`. */
  maxActiveRuns?: number;
  /** Seals secret params in the stored run context. */
  secretBox: SecretBox;
  now: () => number;
}

/**
 * Builds the run (and its steps) a rule starts for an event, pinned to the rule version: params
 * rendered from the ticket, secret params sealed. Nothing is written here; the caller stores it.
 */
export function createRunBuilder(deps: RunBuilderDeps) {
  const { now, secretBox } = deps;

  function buildRun(rule: CompiledRule, version: string, event: DispatchEvent) {
    const at = now();
    const runId = randomUUID();
    const { payload } = event;
    const definition = rule.definition;
    const ruleInfo = {
      id: definition.id,
      description: definition.description,
      owner: definition.owner,
      risk: definition.risk,
      version,
    };
    const command = event.command
      ? { name: event.command.name, user: event.command.user, args: event.command.args }
      : undefined;
    const params = renderValue(definition.params, {
      ticket: payload.record,
      rule: ruleInfo,
      command: command ?? NO_COMMAND,
      run: { id: runId },
    }) as Record<string, TemplateValue>;
    const { concurrency } = definition;
    const concurrencyKey = concurrency?.key
      ? renderString(concurrency.key, {
          ticket: payload.record,
          params,
          rule: ruleInfo,
          command: command ?? NO_COMMAND,
        }).trim()
      : '';
    // A run that a limit may hold back waits queued until the admission lets it start.
    const queued = concurrency !== undefined || deps.maxActiveRuns !== undefined;
    const emptyParams = Object.entries(params)
      .filter(([name, value]) => !definition.optional_params.includes(name) && isEmptyValue(value))
      .map(([name]) => name);
    const context: RunContext = {
      ticket: payload.record,
      params,
      ...(emptyParams.length ? { emptyParams } : {}),
      rule: ruleInfo,
      writeback: definition.writeback,
      secretParams: definition.secret_params,
      ...(command ? { command } : {}),
      ...(definition.escalation ? { escalation: definition.escalation } : {}),
      ...(definition.change ? { change: { plan: definition.change } } : {}),
      ...(concurrency?.max_runs ? { concurrency: { maxRuns: concurrency.max_runs } } : {}),
      ...(definition.on_failure ? { onFailure: definition.on_failure } : {}),
    };
    const run = {
      id: runId,
      rule_id: definition.id,
      rule_version: version,
      table_name: payload.table,
      sys_id: payload.sys_id,
      ticket_number: payload.number,
      event_key: event.eventKey,
      state: queued ? 'queued' : 'running',
      context: JSON.stringify(sealSecretParams(context, secretBox)),
      correlation_id: event.correlationId,
      created_at: at,
      updated_at: at,
      finished_at: null,
      concurrency_key: concurrencyKey || null,
    };
    return { run, steps: buildSteps(definition, runId, at, queued) };
  }

  /** What a shadow rule would have run, for the audit journal (secrets masked); a build error is shown, not thrown. */
  function wouldRun(rule: CompiledRule, version: string, event: DispatchEvent): unknown {
    try {
      const { run, steps } = buildRun(rule, version, event);
      return {
        params: paramsForDisplay(runContextOf(run)),
        steps: steps.map((s) => ({ name: s.name, use: `${s.connector}.${s.action}` })),
      };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  return { buildRun, wouldRun };
}
export type RunBuilder = ReturnType<typeof createRunBuilder>;

/** A param that rendered to nothing: blank text, an empty list or an object of empty values. */
function isEmptyValue(value: TemplateValue): boolean {
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (value && typeof value === 'object') return Object.values(value).every(isEmptyValue);
  return value === null;
}
