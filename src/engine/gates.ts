import { APPROVAL_GATE } from '../rules/catalog';
import { SnowlineError } from '../errors';
import type { ApprovalRepository } from '../store/approval.repository';
import type { RunContext } from './run-context';

/**
 * Gates: named preconditions a step must pass before it starts (a change approved, inside its
 * window, a CI in the right state, a person's approval). A mapping step lists gate names
 * (`gates: [approval]`, and a rule's `gates:` apply before its first step); the step worker asks
 * each gate in order before starting the step:
 * - `pass`   → the next gate, then the step starts;
 * - `wait`   → the step stays pending, durably: it is looked at again at `until` (or after the
 *              worker's recheck interval), holding no memory meanwhile;
 * - `refuse` → the run ends in state `refused` (not `failed`: nothing went wrong, a precondition
 *              said no), and its write-back carries the reason.
 * A gate that throws is treated as `wait` (its source may be down); it never fails the run.
 */
export type GateVerdict =
  | { verdict: 'pass' }
  | { verdict: 'wait'; reason: string; /** epoch ms; default: the worker's recheck interval */ until?: number }
  | { verdict: 'refuse'; reason: string };

/** Read-only ServiceNow access for gates (change records, CIs, approvals). */
export interface ServiceNowReader {
  /** One record; fields default to the instance's choice when omitted. */
  getRecord(table: string, sysId: string, fields?: readonly string[]): Promise<Record<string, unknown>>;
  /** Rows matching an encoded query (values must already be escaped for encoded queries). */
  query(
    table: string,
    encodedQuery: string,
    options?: { fields?: readonly string[]; limit?: number },
  ): Promise<Record<string, unknown>[]>;
}

/** What a gate is told about the step it guards. */
export interface GateContext {
  run: { id: string; ruleId: string; ruleVersion: string; table: string; sysId: string; ticketNumber: string };
  step: { name: string; idx: number; use: string };
  /** The ticket as the run saw it, the rendered params and the rule (see RunContext). */
  context: RunContext;
  /** Results of the run's finished steps by step name. */
  results: Record<string, unknown>;
  servicenow: ServiceNowReader;
  now: number;
}

export interface Gate {
  /** The name mapping steps use, e.g. `approval`, `change_approved`, `change_window`. */
  name: string;
  description: string;
  check(ctx: GateContext): Promise<GateVerdict>;
}

/** Gate names as mappings write them. */
export const GATE_NAME = /^[a-z][a-z0-9_]*$/;

/** The gates an instance knows, by name. Built at start-up; other modules register theirs. */
export function createGateRegistry(initial: readonly Gate[] = []) {
  const gates = new Map<string, Gate>();
  const registry = {
    register(gate: Gate): void {
      if (!GATE_NAME.test(gate.name))
        throw new SnowlineError('gate.bad_name', `gate name ${gate.name} must be snake_case`);
      if (gates.has(gate.name)) throw new SnowlineError('gate.duplicate', `gate ${gate.name} is registered twice`);
      gates.set(gate.name, gate);
    },
    get(name: string): Gate | undefined {
      return gates.get(name);
    },
    names(): string[] {
      return [...gates.keys()].sort();
    },
  };
  for (const gate of initial) registry.register(gate);
  return registry;
}
export type GateRegistry = ReturnType<typeof createGateRegistry>;

/** The outcome of a step's gates: all passed, or the first that did not, with its verdict. */
export type GateOutcome =
  { verdict: 'pass' } | { verdict: 'wait' | 'refuse'; gate: string; reason: string; until?: number };

/** Asks a step's gates in order; stops at the first that does not pass. */
export async function evaluateGates(
  registry: GateRegistry,
  names: readonly string[],
  ctx: GateContext,
): Promise<GateOutcome> {
  for (const name of names) {
    const gate = registry.get(name);
    if (!gate) return { verdict: 'refuse', gate: name, reason: `gate ${name} is not known to this Snowline instance` };
    let verdict: GateVerdict;
    try {
      verdict = await gate.check(ctx);
    } catch (err) {
      verdict = {
        verdict: 'wait',
        reason: `could not be checked: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (verdict.verdict !== 'pass') return { ...verdict, gate: name };
  }
  return { verdict: 'pass' };
}

/**
 * A person with the `approver` role approves (or rejects) the step through the API
 * (`POST /api/v1/runs/{id}/approve` | `/reject`); until then the step waits.
 */
export function manualApprovalGate(approvals: ApprovalRepository): Gate {
  return {
    name: APPROVAL_GATE,
    description: 'waits for a person with the approver role to approve the step in Snowline',
    async check(ctx) {
      const decision = await approvals.find(ctx.run.id, ctx.step.name);
      if (!decision) return { verdict: 'wait', reason: 'waiting for approval by an approver' };
      if (decision.decision === 'approved') return { verdict: 'pass' };
      return {
        verdict: 'refuse',
        reason: `rejected by ${decision.actor}${decision.comment ? `: ${decision.comment}` : ''}`,
      };
    },
  };
}
