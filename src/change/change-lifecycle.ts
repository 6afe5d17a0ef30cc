import type { Gate } from '../engine/gates';
import type { StepHooks } from '../engine/step-worker';
import { changeAfterSettle } from './change-close';
import { changeGateCheck } from './change-implement';
import { changeWrites, type ChangeLifecycleDeps } from './change-writes';

export type { ChangeLifecycleDeps } from './change-writes';

/** What change management plugs into the engine: the `change` gate and the lifecycle after each step. */
export interface ChangeManagement {
  gate: Gate;
  hooks: StepHooks;
}

/** The gate name change rules list (`gates: [change]`, and on later steps that must not start after the window). */
export const CHANGE_GATE = 'change';

/**
 * Change management around the engine's steps: before a step of a change_request run the `change`
 * gate evaluates the change as ServiceNow shows it now; the change record is moved to Implement on
 * start and to Review at the end, with a work note per milestone, change tasks per plan step when
 * the rule asks, and the rollback plan run as its own run when a step fails. Every ticket write
 * goes through the outbox, in the same transaction as the state it reports.
 */
export function changeManagement(deps: ChangeLifecycleDeps): ChangeManagement {
  const writes = changeWrites(deps.repos);
  const check = changeGateCheck(deps, writes);
  const afterSettle = changeAfterSettle(deps, writes);

  return {
    gate: {
      name: CHANGE_GATE,
      description:
        'the change is approved in ServiceNow, inside its window, outside freezes, free of conflicts and of self-approval',
      check,
    },
    hooks: { afterSettle },
  };
}
