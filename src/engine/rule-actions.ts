import type { TicketEvent } from './event.schema';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { withCorrelation } from '../observability/context';
import type { CompiledRule, RuleSet } from '../rules/rule-set';
import type { Repositories, StoreTransaction } from '../store';
import type { AfterCommit, DispatchEvent, Rejections } from './dispatch-types';
import { dispatchFailureOf } from './event-outcomes';
import type { RunBuilder } from './run-builder';
import type { RunEventEmitter } from './run-event-emitter';
import { runRefOf } from './run-events';
import { suggestionNote } from './suggestion';

export interface RuleActionDeps {
  repos: Repositories;
  logger: Logger;
  metrics: Metrics;
  runs: RunBuilder;
  events: RunEventEmitter;
  now: () => number;
}

/**
 * Acts on matched rules per their mode, inside the caller's transaction, and journals each
 * decision: an active rule's run, a shadow rule's would-be run, a suggest rule's offer.
 */
export function createRuleActions(deps: RuleActionDeps) {
  const { repos, logger, metrics, now } = deps;
  const { buildRun, wouldRun } = deps.runs;

  /**
   * Acts on each matched rule per its mode; returns the ids of the runs started. Metrics and logs
   * wait in `committed`. With `rejections`, a rule whose run cannot be built (a permanent error,
   * such as a template that does not render) is listed there and the other rules still act;
   * without, the error is thrown.
   */
  async function actOn(
    trx: StoreTransaction,
    matched: CompiledRule[],
    ruleSet: RuleSet,
    event: DispatchEvent,
    committed: AfterCommit,
    rejections?: Rejections,
  ): Promise<string[]> {
    const started: string[] = [];
    const { payload } = event;
    const ran = event.again ? await repos.runs.rulesRunFor(trx, event.eventKey) : new Set<string>();
    for (const rule of matched) {
      if (ran.has(rule.definition.id)) continue;
      const id = rule.definition.id;
      const detail = {
        rule: id,
        ruleVersion: ruleSet.version,
        event: event.eventKey,
        ...(event.command ? { command: event.command.name, by: event.command.user } : {}),
      };
      if (rule.definition.mode === 'shadow') {
        await repos.audit.append(
          trx,
          {
            kind: 'rule.shadow',
            actor: 'snowline',
            subject: payload.number,
            detail: { ...detail, wouldRun: wouldRun(rule, ruleSet.version, event) },
          },
          now(),
        );
        committed.push(() => {
          metrics.eventsDispatched.inc({ result: 'shadow' });
          withCorrelation(event.correlationId, () =>
            logger.info('shadow rule matched; nothing run', { rule: id, ticket: payload.number }),
          );
        });
        continue;
      }
      if (rule.definition.mode === 'suggest' && !askedFor(rule, event)) {
        // Once per rule and ticket: later updates that still match must not repeat the offer.
        const first = await repos.suggestions.recordFirst(trx, {
          rule_id: id,
          table_name: payload.table,
          sys_id: payload.sys_id,
          ticket_number: payload.number,
          rule_version: ruleSet.version,
          event_key: event.eventKey,
          suggested_at: now(),
        });
        if (first) {
          await enqueueNote(trx, `suggest:${id}:${event.eventKey}`, payload, suggestionNote(rule.definition));
          await repos.audit.append(
            trx,
            { kind: 'rule.suggested', actor: 'snowline', subject: payload.number, detail },
            now(),
          );
        }
        continue;
      }
      let built: ReturnType<typeof buildRun>;
      try {
        built = buildRun(rule, ruleSet.version, event);
      } catch (err) {
        const failure = dispatchFailureOf(err);
        if (!rejections || !failure.permanent) throw err;
        rejections.push({ rule: id, code: failure.code, reason: failure.message });
        continue;
      }
      const { run, steps } = built;
      await repos.runs.create(trx, run, steps);
      const command = event.command && { name: event.command.name, by: event.command.user };
      const runStart = { run: runRefOf(run), at: now(), eventKey: event.eventKey, ...(command ? { command } : {}) };
      await deps.events.emitIn(trx, { type: 'run.started', ...runStart }, committed);
      started.push(run.id);
    }
    return started;
  }

  /** A suggestion is taken up when an agent types its command or an operator triggers it: then it runs. */
  function askedFor(rule: CompiledRule, event: DispatchEvent): boolean {
    if (event.eventKey.startsWith('manual:')) return true;
    return rule.definition.on.some((t) => typeof t === 'object' && 'command' in t && t.command === event.command?.name);
  }

  /** Queues a work note on the ticket through the outbox, marked so its echo is known as Snowline's own write. */
  async function enqueueNote(trx: StoreTransaction, id: string, payload: TicketEvent, note: string) {
    const at = now();
    const marker = `snowline-writeback:${id}`;
    await repos.outbox.enqueue(trx, {
      id,
      run_id: id,
      table_name: payload.table,
      sys_id: payload.sys_id,
      ticket_number: payload.number,
      fields: JSON.stringify({ work_notes: `${note}\n[${marker}]` }),
      marker,
      next_at: at,
    });
  }

  return { actOn, enqueueNote };
}
export type RuleActions = ReturnType<typeof createRuleActions>;
