import type { RecordStore, RecordValues } from '../record-store';
import { applyStandardChange } from './standard-change';
import { checkIncidentDataPolicy } from './incident-data-policy';
import { applyPriorityLookup } from './priority-lookup';
import { applyTaskLifecycle, type Actor } from './task-lifecycle';
import { applyUserName } from './user-name';

/** What the instance does to a record before it is saved. */
export interface BeforeRulesOptions {
  /** docs/servicenow-behaviour.md §3.2 incident resolution data policy; the sandbox enforces it unless switched off. */
  dataPolicy: boolean;
  /** Rows other rules read (standard change templates). */
  store: RecordStore;
}

/**
 * Runs the "before" logic on the row about to be saved (`next`, of concrete class `table`): derived
 * fields first, then the data policy on the result. Throws DataPolicyError to abort the write.
 */
export function applyBeforeRules(
  table: string,
  next: Record<string, string>,
  previous: RecordValues | undefined,
  actor: Actor,
  options: BeforeRulesOptions,
): void {
  applyStandardChange(table, next, previous, options.store);
  applyPriorityLookup(table, next);
  applyTaskLifecycle(table, next, previous, actor);
  applyUserName(table, next, previous);
  if (options.dataPolicy) checkIncidentDataPolicy(table, next);
}
