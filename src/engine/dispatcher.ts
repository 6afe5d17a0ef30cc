import { randomUUID } from 'node:crypto';
import { eventPayloadOf, type ScheduledMatch, type TicketEvent } from './event.schema';
import { parseWorkNoteCommand } from './work-note-command';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { withCorrelation } from '../observability/context';
import { matchEvent, type CommandInvocation, type MatchInput } from '../rules/matcher';
import { findRule, type CompiledRule, type RuleSet } from '../rules/rule-set';
import { renderString, renderValue } from '../rules/template';
import { identityValue } from '../../connectors/servicenow/schemas';
import type { TemplateValue } from '../rules/mapping.schema';
import { SnowlineError } from '../errors';
import { type Repositories, type Store, inTransaction, type StoreTransaction } from '../store';
import type { InboxEvent } from '../store/inbox.repository';
import { resolveDotWalks } from './dot-walk';
import { decideAfterDispatchFailure, dispatchFailureOf, rejectionNote, type EventRetryPolicy } from './event-outcomes';
import { createVersionJudge } from './event-versions';
import { NO_COMMAND, runContextOf, type RunContext } from './run-context';
import { buildSteps } from './run-steps';
import { isOwnWrite } from './own-writes';
import { inSpan } from '../observability/tracing';
import { paramsForDisplay, processSecretBox, sealSecretParams } from './run-secrets';
import type { SecretBox } from '../security/secret-box';
import { suggestionNote } from './suggestion';
import type { TicketLookups } from './ticket-lookups';

export interface DispatcherDeps {
  store: Store;
  repos: Repositories;
  rules: () => RuleSet;
  /** The ServiceNow user Snowline writes as: its updates must not trigger rules again. */
  integrationUser: string;
  /** Reads work notes, group memberships and referenced records; without it, commands and dot-walks the event lacks cannot fire. */
  lookups?: TicketLookups;
  logger: Logger;
  metrics: Metrics;
  /** engine.maxActiveRuns: with a global limit every run waits its turn in state `queued`. */
  maxActiveRuns?: number;
  /** Seals secret params in the stored run context; default: a key that lives as long as the process. */
  secretBox?: SecretBox;
  /** Retries of events whose dispatch failed for a reason that may pass; default 1 s to 1 min, for 1 h. */
  eventRetry?: EventRetryPolicy;
  now?: () => number;
  random?: () => number;
}

const DEFAULT_EVENT_RETRY: EventRetryPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000, deadlineMs: 3_600_000 };

/** An inbox event once read and matched, before anything is written. */
type Prepared =
  | { kind: 'own_write'; event: InboxEvent }
  | { kind: 'superseded'; event: InboxEvent; note: string }
  | {
      kind: 'matched';
      event: InboxEvent;
      matched: CompiledRule[];
      /** Rules that cannot act on this event, and why (bad reference values). */
      rejected: Rejections;
      ruleSet: RuleSet;
      ticket: string;
      dispatchEvent: DispatchEvent;
    };

/** What is reported (metrics, logs) only once the transaction committed: a rolled-back batch is tried again. */
type AfterCommit = Array<() => void>;

/** Matched rules that could not act on the event (a permanent error building their run), with why. */
type Rejections = Array<{ rule: string; code: string; reason: string }>;

/** An event as the matcher and run builder need it, whatever its source. */
interface DispatchEvent {
  payload: TicketEvent;
  eventKey: string;
  correlationId: string;
  command?: CommandInvocation;
  /** Tried before (a retry or a replay): rules that already have a run for it are not started again. */
  again?: boolean;
}

/**
 * Turns inbox events into runs. For each event, in arrival order: end it superseded if a newer
 * version of its record was dispatched already, drop it if it is Snowline's own write-back, match
 * the rules of the current version, and act per rule mode — in one transaction with marking the
 * event processed, so an event yields its runs exactly once:
 * - active: create a run pinned to the rule version;
 * - shadow: record in the audit journal what would have run; run nothing, write nothing back;
 * - suggest: queue a work note offering the automation and how to start it, once per ticket; the
 *   rule runs when an agent types its command (or an operator triggers it).
 */
export function createDispatcher(deps: DispatcherDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { repos, store, logger, metrics } = deps;
  const secretBox = deps.secretBox ?? processSecretBox();
  const eventRetry = deps.eventRetry ?? DEFAULT_EVENT_RETRY;
  const judgeVersion = createVersionJudge(repos);

  /** Dispatches one event (see `dispatchAll`). */
  async function dispatch(event: InboxEvent): Promise<void> {
    await dispatchAll([event]);
  }

  /**
   * Dispatches events in order: each is read and matched first, then all of them are recorded in
   * one transaction (one commit for the lot, the engine's main cost under load). Should any of it
   * fail, each event is dispatched on its own, so one bad event cannot hold back the others; an
   * event that fails on its own is rejected or retried later by what its error says (see
   * event-outcomes.ts). Throws only when even that could not be recorded (the store is down): the
   * event's claim then runs out and it is tried again.
   */
  async function dispatchAll(events: readonly InboxEvent[]): Promise<void> {
    try {
      await dispatchTogether(events);
    } catch (err) {
      if (events.length === 1) return failed(events[0]!, err);
      const failures: unknown[] = [];
      for (const event of events)
        await dispatchTogether([event])
          .catch((e: unknown) => failed(event, e))
          .catch((e: unknown) => failures.push(e));
      if (failures.length > 0) throw failures[0];
    }
  }

  /** One event's dispatch failed: reject it now (permanent), or try it again later (transient) until its deadline. */
  async function failed(event: InboxEvent, err: unknown): Promise<void> {
    const failure = dispatchFailureOf(err);
    const decision = decideAfterDispatchFailure(event, failure, eventRetry, now(), random());
    await withCorrelation(event.correlation_id, async () => {
      if ('reject' in decision) return reject(event, failure.code, decision.reject);
      if (!(await repos.inbox.retryLater(event, decision.reason, decision.retryAt, now()))) return claimLost(event);
      metrics.eventsDispatched.inc({ result: 'retry' });
      logger.warn('event dispatch failed; it is tried again', {
        event: event.event_key,
        ticket: event.number,
        reason: decision.reason,
      });
    });
  }

  async function reject(event: InboxEvent, code: string, reason: string): Promise<void> {
    if (!(await repos.inbox.settleClaimed(event, 'rejected', reason, now()))) return claimLost(event);
    reportRejected(event, code, reason);
  }

  /**
   * Another instance took the event over once this one's claim ran out (its dispatch was slow), and
   * may have dispatched it already: what failed here (its runs exist, say) is not the event's fault.
   */
  function claimLost(event: InboxEvent): void {
    logger.info('event taken over by another instance while its dispatch was slow; left to it', {
      event: event.event_key,
      ticket: event.number,
    });
  }

  function reportRejected(event: InboxEvent, code: string, reason: string): void {
    metrics.eventsDispatched.inc({ result: 'rejected' });
    metrics.eventsRejected.inc({ table: event.table_name, code });
    logger.error('event rejected: it waits for an operator (snowline events list --state rejected)', {
      event: event.event_key,
      eventId: event.seq,
      ticket: event.number,
      reason,
    });
  }

  async function dispatchTogether(events: readonly InboxEvent[]): Promise<void> {
    const prepared: Prepared[] = [];
    for (const event of events)
      prepared.push(
        await withCorrelation(event.correlation_id, () =>
          inSpan(
            'match',
            { correlationId: event.correlation_id, attributes: { 'snowline.ticket': event.number } },
            () => prepare(event),
          ),
        ),
      );
    const committed: AfterCommit = [];
    await inTransaction(store, async (trx) => {
      for (const p of prepared) await withCorrelation(p.event.correlation_id, () => record(trx, p, committed));
    });
    for (const report of committed) report();
    for (const p of prepared)
      metrics.eventsDispatched.inc({
        result: p.kind !== 'matched' ? p.kind : p.matched.length ? 'matched' : 'unmatched',
      });
  }

  /** What an event means, read before anything is written: Snowline's own write, or the rules it matches. */
  async function prepare(event: InboxEvent): Promise<Prepared> {
    const payload = eventPayloadOf(event);
    const verdict = await judgeVersion(event, payload);
    if (verdict.superseded) return { kind: 'superseded', event, note: verdict.superseded };
    // A record Snowline raised about itself (an SLO alert) never starts a rule, whoever edits it.
    if (await repos.alerts.isOwnAlertRecord(payload.sys_id)) return { kind: 'own_write', event };
    if (payload.scheduled) return prepareScheduled(event, payload, payload.scheduled);
    if (
      payload.event === 'updated' &&
      !verdict.alsoUpdate &&
      (await isOwnWrite(repos.outbox, payload, deps.integrationUser, now()))
    )
      return { kind: 'own_write', event };
    const ruleSet = deps.rules();
    const command = payload.event === 'updated' ? await commandOf(payload) : undefined;
    const { record, badReferences } = await withDotWalks(ruleSet, payload);
    const input: MatchInput = {
      table: payload.table,
      trigger: verdict.kind,
      record,
      changedFields: payload.changed_fields,
      command,
    };
    let { matched } = matchEvent(ruleSet, input);
    // The first version seen of a record edited since its insert stands for both: the insert that
    // was missed and the update that arrived (a rule listening to both fires once).
    if (verdict.alsoUpdate) {
      const updated = matchEvent(ruleSet, { ...input, trigger: 'updated' }).matched;
      matched = [...matched, ...updated.filter((rule) => !matched.includes(rule))];
    }
    const triggers = verdict.alsoUpdate ? [verdict.kind, 'updated'] : [verdict.kind];
    const rejected = blockedByBadReferences(ruleSet, payload.table, triggers, badReferences);
    payload.event = verdict.kind;
    return {
      kind: 'matched',
      event,
      matched: matched.filter((rule) => !rejected.some((r) => r.rule === rule.definition.id)),
      rejected,
      ruleSet,
      ticket: payload.number,
      dispatchEvent: {
        payload: { ...payload, record },
        eventKey: event.event_key,
        correlationId: event.correlation_id,
        command,
        // A pending event with a note was tried before (the note says why it is tried again).
        again: event.note !== null,
      },
    };
  }

  /**
   * A record a scheduled rule's query found: an event for that rule alone, whoever last wrote the
   * record (Snowline's own write-back may well be what put it in the state the query looks for).
   */
  async function prepareScheduled(event: InboxEvent, payload: TicketEvent, match: ScheduledMatch): Promise<Prepared> {
    const ruleSet = deps.rules();
    const { record } = await withDotWalks(ruleSet, payload);
    const input: MatchInput = { table: payload.table, trigger: 'scheduled', record, ruleId: match.rule };
    const dispatchEvent = {
      payload: { ...payload, record },
      eventKey: event.event_key,
      correlationId: event.correlation_id,
      again: event.note !== null,
    };
    const { matched } = matchEvent(ruleSet, input);
    return { kind: 'matched', event, matched, rejected: [], ruleSet, ticket: payload.number, dispatchEvent };
  }

  /** Writes what a prepared event yields and marks it processed, inside the batch's transaction. */
  async function record(trx: StoreTransaction, p: Prepared, committed: AfterCommit): Promise<void> {
    const settle = async (status: 'done' | 'dropped' | 'superseded' | 'rejected', note: string) => {
      // Its claim ran out and another instance holds the event: roll back what this one wrote for it.
      if (!(await repos.inbox.settleClaimed(p.event, status, note, now(), trx)))
        throw new SnowlineError(
          'dispatch.claim_lost',
          `event ${p.event.event_key} was taken over by another instance`,
          {
            retryable: true,
          },
        );
    };
    if (p.kind === 'own_write') return void (await settle('dropped', "Snowline's own write-back"));
    if (p.kind === 'superseded') {
      committed.push(() => logger.info('older version not acted on', { ticket: p.event.number, reason: p.note }));
      return void (await settle('superseded', p.note));
    }
    // Before this event's own runs exist: only steps of earlier runs can be waiting on the ticket.
    await repos.runs.wakeGatedSteps(trx, p.ticket, now());
    const rejections: Rejections = [...p.rejected];
    const started = (await actOn(trx, p.matched, p.ruleSet, p.dispatchEvent, committed, rejections)).length;
    if (rejections.length > 0) {
      const reason = rejections.map((r) => `rule ${r.rule}: ${r.reason}`).join('; ');
      await settle('rejected', started ? `${reason} (runs of other rules: ${started})` : reason);
      const note = rejectionNote(
        rejections.map((r) => r.rule),
        reason,
        p.event.seq,
      );
      await enqueueNote(trx, `rejected:${randomUUID()}`, p.dispatchEvent.payload, note);
      committed.push(() => reportRejected(p.event, rejections[0]!.code, reason));
      return;
    }
    await settle(
      'done',
      started
        ? `runs: ${started}`
        : p.matched.length
          ? `matched ${p.matched.length}, no active rule`
          : 'no rule matched',
    );
  }

  /**
   * Starts one rule for one ticket on an operator's request (`POST /api/v1/rules/{id}/trigger`),
   * possibly on behalf of a service-desk agent (`requestedBy`, a user_name or sys_user sys_id: the UI Action). The rule
   * must have a `manual` trigger — for `{ manual: true, allowed_groups }`, the agent must be in one of
   * the groups (read from sys_user_grmember, as for work-note commands) — and its condition must
   * hold. Returns the run id, or why nothing started: `forbidden` (the agent may not; audited) or
   * `refused` (the rule does not apply).
   */
  async function triggerManually(request: {
    ruleId: string;
    payload: TicketEvent;
    actor: string;
    requestedBy?: string;
  }): Promise<{ runId?: string; mode?: string; refused?: string; forbidden?: string }> {
    const ruleSet = deps.rules();
    const { record, badReferences } = await withDotWalks(ruleSet, request.payload);
    if (badReferences.length > 0) throw badReferences[0]!.error;
    const user = request.requestedBy === undefined ? undefined : await userNameOf(request.requestedBy);
    const requestedBy = user ? { user, groups: (await deps.lookups?.groupsOf(user)) ?? [] } : undefined;
    const input: MatchInput = {
      table: request.payload.table,
      trigger: 'manual',
      record,
      ruleId: request.ruleId,
      requestedBy,
    };
    const { matched } = matchEvent(ruleSet, input);
    const rule = matched[0];
    // With a requesting agent, the journal names the agent as the actor and the API caller as the channel.
    const who =
      request.requestedBy !== undefined
        ? { actor: user ?? request.requestedBy, via: request.actor }
        : { actor: request.actor };
    const refuse = async (forbidden: string) => {
      await repos.audit.append(
        store.db,
        {
          kind: 'rule.trigger_refused',
          actor: who.actor,
          subject: request.payload.number,
          detail: {
            rule: request.ruleId,
            ruleVersion: ruleSet.version,
            ...(who.via ? { via: who.via } : {}),
            reason: forbidden,
          },
        },
        now(),
      );
      logger.warn('manual trigger refused', {
        rule: request.ruleId,
        ticket: request.payload.number,
        actor: who.actor,
        reason: forbidden,
      });
      return { forbidden };
    };
    if (request.requestedBy !== undefined && !user)
      return refuse(`requested_by ${request.requestedBy} is not a user of the instance`);
    if (!rule) {
      const reason = matchEvent(ruleSet, input, { explain: true }).skipped.find(
        (s) => s.ruleId === request.ruleId,
      )?.reason;
      if (reason === 'not_allowed') return refuse(notAllowed(ruleSet, request.ruleId, requestedBy?.user));
      return {
        refused: `rule ${request.ruleId} has no manual trigger on ${request.payload.table}, is disabled, or its condition does not hold for ${request.payload.number}`,
      };
    }
    const eventKey = `manual:${randomUUID()}`;
    const event: DispatchEvent = { payload: { ...request.payload, record }, eventKey, correlationId: randomUUID() };
    let runId: string | undefined;
    const committed: AfterCommit = [];
    await inTransaction(store, async (trx) => {
      await repos.audit.append(
        trx,
        {
          kind: 'rule.triggered',
          actor: who.actor,
          subject: request.payload.number,
          detail: {
            rule: rule.definition.id,
            ruleVersion: ruleSet.version,
            event: eventKey,
            ...(who.via ? { via: who.via } : {}),
            // The agent's groups at the time: the adoption report counts manual triggers per group.
            ...(requestedBy ? { groups: requestedBy.groups } : {}),
          },
        },
        now(),
      );
      [runId] = await actOn(trx, [rule], ruleSet, event, committed);
    });
    for (const report of committed) report();
    return { runId, mode: rule.definition.mode };
  }

  /** The agent's user_name: as given, or read from sys_user when given as a sys_id; undefined = no such user. */
  async function userNameOf(requestedBy: string): Promise<string | undefined> {
    const identity = identityValue(requestedBy, 'requested_by');
    if (identity.kind === 'user_name') return identity.value;
    return (await deps.lookups?.readRecord('sys_user', identity.value, ['user_name']))?.user_name || undefined;
  }

  /** Why a restricted manual trigger did not let the agent (or an unnamed requester) through. */
  function notAllowed(ruleSet: RuleSet, ruleId: string, user: string | undefined): string {
    const groups = (findRule(ruleSet, ruleId)?.definition.on ?? []).flatMap((t) =>
      typeof t === 'object' && 'manual' in t ? t.allowed_groups : [],
    );
    return user
      ? `${user} is in none of the groups allowed to trigger rule ${ruleId} (${groups.join(', ')})`
      : `rule ${ruleId} may only be triggered on behalf of a member of ${groups.join(', ')}; the request names no agent (requested_by)`;
  }

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
      await repos.audit.append(
        trx,
        { kind: 'rule.matched', actor: 'snowline', subject: payload.number, detail: { ...detail, runId: run.id } },
        now(),
      );
      committed.push(() => {
        metrics.runsStarted.inc({ rule: id });
        withCorrelation(event.correlationId, () =>
          logger.info('run started', { runId: run.id, rule: id, ticket: payload.number }),
        );
      });
      started.push(run.id);
    }
    return started;
  }

  /** A suggestion is taken up when an agent types its command or an operator triggers it: then it runs. */
  function askedFor(rule: CompiledRule, event: DispatchEvent): boolean {
    if (event.eventKey.startsWith('manual:')) return true;
    return rule.definition.on.some((t) => typeof t === 'object' && 'command' in t && t.command === event.command?.name);
  }

  /** The command typed in the update's newest work note, with the typist's groups; undefined when there is none. */
  async function commandOf(payload: TicketEvent): Promise<CommandInvocation | undefined> {
    if (!deps.lookups || !payload.changed_fields.includes('work_notes')) return undefined;
    const note = await deps.lookups.latestWorkNote(payload.table, payload.sys_id);
    const parsed = note ? parseWorkNoteCommand(note.text) : undefined;
    if (!note || !parsed) return undefined;
    // The integration user's own notes (suggestions quote the command) never run anything.
    if (note.user === deps.integrationUser) return undefined;
    return { ...parsed, user: note.user, groups: await deps.lookups.groupsOf(note.user) };
  }

  /**
   * The record with the dot-walked values conditions read. A reference field of the ticket holding
   * something other than a sys_id is bad data for good (`ticket.bad_reference`): nothing is looked
   * up through it, its dot-walked values stay empty, and it is reported so that the rules reading
   * through it are rejected while the others still act.
   */
  async function withDotWalks(
    ruleSet: RuleSet,
    payload: TicketEvent,
  ): Promise<{ record: Record<string, string>; badReferences: Array<{ field: string; error: SnowlineError }> }> {
    const paths = ruleSet.dotWalks.get(payload.table) ?? [];
    const badReferences: Array<{ field: string; error: SnowlineError }> = [];
    if (paths.length === 0 || !deps.lookups) return { record: payload.record, badReferences };
    let source = payload.record;
    for (;;) {
      try {
        return { record: await resolveDotWalks(payload.table, source, paths, deps.lookups), badReferences };
      } catch (err) {
        const field =
          err instanceof SnowlineError && err.code === 'ticket.bad_reference' ? err.details.field : undefined;
        if (typeof field !== 'string' || !(field in source) || source[field] === '') throw err;
        badReferences.push({ field, error: err as SnowlineError });
        source = { ...source, [field]: '' };
      }
    }
  }

  /** Rules that would read through a bad reference for this trigger: they cannot be evaluated, so they are rejected. */
  function blockedByBadReferences(
    ruleSet: RuleSet,
    table: string,
    triggers: readonly string[],
    bad: ReadonlyArray<{ field: string; error: SnowlineError }>,
  ): Rejections {
    const rejections: Rejections = [];
    for (const rule of ruleSet.byTable.get(table) ?? []) {
      const { definition } = rule;
      if (definition.mode === 'disabled' || !definition.on.some((t) => triggers.includes(t as string))) continue;
      const hit = bad.find((b) => definition.condition.includes(`${b.field}.`));
      if (hit) rejections.push({ rule: definition.id, code: hit.error.code, reason: hit.error.message });
    }
    return rejections;
  }

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

  return { dispatch, dispatchAll, triggerManually };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;

/** A param that rendered to nothing: blank text, an empty list or an object of empty values. */
function isEmptyValue(value: TemplateValue): boolean {
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (value && typeof value === 'object') return Object.values(value).every(isEmptyValue);
  return value === null;
}
