import { eventPayloadOf, type ScheduledMatch, type TicketEvent } from './event.schema';
import { parseWorkNoteCommand } from './work-note-command';
import { matchEvent, type CommandInvocation, type MatchInput } from '../rules/matcher';
import type { CompiledRule, RuleSet } from '../rules/rule-set';
import { SnowlineError } from '../errors';
import type { Repositories } from '../store';
import type { InboxEvent } from '../store/inbox.repository';
import type { DispatchEvent, Rejections } from './dispatch-types';
import { resolveDotWalks } from './dot-walk';
import { createVersionJudge } from './event-versions';
import { isOwnWrite } from './own-writes';
import type { TicketLookups } from './ticket-lookups';

export interface EventMatchingDeps {
  repos: Repositories;
  rules: () => RuleSet;
  /** The ServiceNow user Snowline writes as: its updates must not trigger rules again. */
  integrationUser: string;
  /** Reads work notes, group memberships and referenced records. */
  lookups?: TicketLookups;
  now: () => number;
}

/** An inbox event once read and matched, before anything is written. */
export type Prepared =
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

/** What the store says of a batch of events, read in one query each before any of them is judged. */
export interface BatchFacts {
  /** Per record (`recordKey`), the newest version already dispatched. */
  newestHandled: ReadonlyMap<string, number>;
  /** The records among them that Snowline raised about itself (SLO alerts). */
  ownAlerts: ReadonlySet<string>;
}

/** A reference field of the ticket that holds bad data, with the error saying so. */
export type BadReference = { field: string; error: SnowlineError };

/**
 * Reads what an inbox event means without writing anything: superseded by a newer version,
 * Snowline's own write, or the rules of the current version it matches (with the work-note command
 * and dot-walked values their conditions read).
 */
export function createEventMatching(deps: EventMatchingDeps) {
  const { repos, now } = deps;
  const judgeVersion = createVersionJudge(repos);

  /** Reads the facts `prepare` needs of each of these events, in one query per kind for all of them. */
  async function factsOf(events: readonly InboxEvent[]): Promise<BatchFacts> {
    const [newestHandled, ownAlerts] = await Promise.all([
      repos.inbox.newestHandled(events.map((e) => ({ table: e.table_name, sysId: e.sys_id }))),
      repos.alerts.ownAlertRecords(events.map((e) => e.sys_id)),
    ]);
    return { newestHandled, ownAlerts };
  }

  /**
   * What an event means, read before anything is written: Snowline's own write, or the rules it
   * matches. `facts` were read for its batch (`factsOf`) before any event of it was recorded.
   */
  async function prepare(event: InboxEvent, facts: BatchFacts): Promise<Prepared> {
    const payload = eventPayloadOf(event);
    const verdict = await judgeVersion(event, payload, facts.newestHandled);
    if (verdict.superseded) return { kind: 'superseded', event, note: verdict.superseded };
    // A record Snowline raised about itself (an SLO alert) never starts a rule, whoever edits it.
    if (facts.ownAlerts.has(event.sys_id)) return { kind: 'own_write', event };
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
  ): Promise<{ record: Record<string, string>; badReferences: BadReference[] }> {
    const paths = ruleSet.dotWalks.get(payload.table) ?? [];
    const badReferences: BadReference[] = [];
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

  return { factsOf, prepare, withDotWalks };
}
export type EventMatching = ReturnType<typeof createEventMatching>;

/** Rules that would read through a bad reference for this trigger: they cannot be evaluated, so they are rejected. */
function blockedByBadReferences(
  ruleSet: RuleSet,
  table: string,
  triggers: readonly string[],
  bad: readonly BadReference[],
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
