import { randomUUID } from 'node:crypto';
import type { TicketEvent } from './event.schema';
import type { Logger } from '../observability/logger';
import { matchEvent, type MatchInput } from '../rules/matcher';
import { findRule, type RuleSet } from '../rules/rule-set';
import { identityValue } from '../../connectors/servicenow/schemas';
import { type Repositories, type Store, inTransaction } from '../store';
import type { AfterCommit, DispatchEvent } from './dispatch-types';
import type { EventMatching } from './event-matching';
import type { RuleActions } from './rule-actions';
import type { TicketLookups } from './ticket-lookups';

export interface ManualTriggerDeps {
  store: Store;
  repos: Repositories;
  rules: () => RuleSet;
  /** Reads the requesting agent's user_name and groups. */
  lookups?: TicketLookups;
  logger: Logger;
  matching: Pick<EventMatching, 'withDotWalks'>;
  actions: Pick<RuleActions, 'actOn'>;
  now: () => number;
}

/** Starts rules on an operator's (or a service-desk agent's) request, journalling who asked and what was refused. */
export function createManualTrigger(deps: ManualTriggerDeps) {
  const { repos, store, logger, now } = deps;
  const { withDotWalks } = deps.matching;
  const { actOn } = deps.actions;

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

  return triggerManually;
}
