import { SnowlineError } from '../errors';
import { APPROVAL_GATE } from '../rules/catalog';
import type { StepRequirement } from '../rules/mapping.schema';
import type { StoreTransaction } from '../store';
import type { Step } from '../store/run.repository';
import type { EmitInTransaction } from './run-event-emitter';
import { evaluateGates, type GateRegistry, type ServiceNowReader } from './gates';
import { renderWriteback, stepResults, type RunContext } from './run-context';
import { runRefOf, stepRefOf } from './run-events';
import { maskSecrets } from './secret-params';
import { evaluateRequirements, recordFieldsOf, type RequirementVerdict } from './step-requirements';
import type { Settle } from './step-settlement';
import type { RunWithSteps, StepWorkerKit } from './step-worker-kit';
import type { StepWriteback } from './step-writeback';

export interface StepGatesPhase {
  passGates(run: RunWithSteps, step: Step, names: readonly string[], context: RunContext): Promise<boolean>;
  meetsRequirements(run: RunWithSteps, step: Step, requires: StepRequirement[]): Promise<boolean>;
}

/** The checks a step passes before it starts: its gates, then (first start only) its milestone checks. */
export function createStepGatesPhase(kit: StepWorkerKit, settle: Settle, writeback: StepWriteback): StepGatesPhase {
  const { deps, now, save } = kit;
  const { repos } = deps;
  const recheckMs = deps.gateRecheckMs ?? 30_000;

  /**
   * Asks the step's gates before it starts. true = all passed. Otherwise the step is either left
   * pending until the gate is worth asking again (lease released, nothing held in memory) or,
   * when a gate refused, settled as `refused`, which ends the run.
   */
  async function passGates(
    run: RunWithSteps,
    step: Step,
    names: readonly string[],
    context: RunContext,
  ): Promise<boolean> {
    if (names.length === 0) return true;
    const at = now();
    const outcome = await evaluateGates(deps.gates ?? emptyRegistry, names, {
      run: {
        id: run.id,
        ruleId: run.rule_id,
        ruleVersion: run.rule_version,
        table: run.table_name,
        sysId: run.sys_id,
        ticketNumber: run.ticket_number,
      },
      step: { name: step.name, idx: step.idx, use: `${step.connector}.${step.action}` },
      context,
      results: stepResults(run.steps),
      servicenow: deps.servicenow ?? noServiceNow,
      now: at,
    });
    if (outcome.verdict === 'pass') {
      if (step.waiting_for !== null) await save(step, { waiting_for: null });
      return true;
    }
    const reason = `gate ${outcome.gate}: ${outcome.reason}`;
    if (outcome.verdict === 'refuse') {
      await settle(run, step, 'refused', { error: reason });
      return false;
    }
    const nextAt = outcome.until !== undefined && outcome.until > at ? outcome.until : at + recheckMs;
    // The ticket hears once that it waits for an approver: when the wait begins, not at each recheck.
    const startsApprovalWait =
      outcome.gate === APPROVAL_GATE && !step.waiting_for?.startsWith(`gate ${APPROVAL_GATE}:`);
    const note = startsApprovalWait
      ? renderWriteback(context, run.id, run.steps, 'waiting_approval', reason)
      : undefined;
    await kit.events.inTransaction(async (trx, emit) => {
      const saved = await repos.runs.saveStep(trx, step.id, deps.owner, {
        waiting_for: reason,
        next_at: nextAt,
        lease_owner: null,
        lease_until: null,
      });
      if (!saved) return;
      // A new wait is an event; a recheck that finds the same reason is not.
      if (reason !== step.waiting_for) {
        const wait = { gate: outcome.gate, reason: outcome.reason };
        await emit({ type: 'step.waiting', run: runRefOf(run), step: stepRefOf(step), at, ...wait });
      }
      if (note) await writeback.enqueueWriteback(trx, run, maskSecrets(note), at);
    });
    return false;
  }

  /**
   * The step's milestone checks, just before it first starts. Every verdict is recorded (a work
   * note and the audit journal); a check not met refuses the step, in the transaction that notes why.
   * A ticket that cannot be read is a wait, like a gate whose source is down.
   */
  async function meetsRequirements(run: RunWithSteps, step: Step, requires: StepRequirement[]): Promise<boolean> {
    const at = now();
    let record: Record<string, string> | undefined;
    const fields = recordFieldsOf(requires);
    if (fields.length > 0) {
      try {
        record = rawFields(await (deps.servicenow ?? noServiceNow).getRecord(run.table_name, run.sys_id, fields));
      } catch (err) {
        const reason = `milestone checks: could not read ${run.ticket_number}: ${(err as Error).message}`;
        await save(step, { waiting_for: reason, next_at: at + recheckMs, lease_owner: null, lease_until: null });
        return false;
      }
    }
    const verdicts = evaluateRequirements(requires, { steps: run.steps, record });
    const unmet = verdicts.find((v) => !v.met);
    const recordVerdicts = async (trx: StoreTransaction, emit: EmitInTransaction) => {
      const type = unmet ? 'check.refused' : 'check.passed';
      await emit({ type, run: runRefOf(run), step: stepRefOf(step), at, verdicts });
      await writeback.enqueueWriteback(
        trx,
        run,
        { fields: {}, workNote: maskSecrets(requirementsNote(run.id, step.name, verdicts)) },
        at,
      );
    };
    if (unmet) {
      await settle(run, step, 'refused', { error: `check "${unmet.check}" not met: ${unmet.why}` }, recordVerdicts);
      return false;
    }
    await kit.events.inTransaction(recordVerdicts);
    return true;
  }

  return { passGates, meetsRequirements };
}

/** A step's milestone verdicts in words: what was checked and what it found. */
function requirementsNote(runId: string, stepName: string, verdicts: readonly RequirementVerdict[]): string {
  const unmet = verdicts.find((v) => !v.met);
  const lines = verdicts.map((v) => `- ${v.check}: ${v.met ? 'met' : 'NOT met'} (${v.why})`);
  const head = unmet
    ? `milestone check "${unmet.check}" refused step ${stepName}; it does not run.`
    : `milestone checks passed; step ${stepName} starts.`;
  return [`Snowline run ${runId}: ${head}`, ...lines].join('\n');
}

/** Raw values of a record as the Table API returns them (a reference may come as { value, link }). */
function rawFields(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([name, value]) => [
      name,
      value && typeof value === 'object' && 'value' in value
        ? String((value as { value: unknown }).value)
        : value === null || value === undefined
          ? ''
          : String(value),
    ]),
  );
}

const emptyRegistry: GateRegistry = { register: () => undefined, get: () => undefined, names: () => [] };

const noServiceNow: ServiceNowReader = {
  getRecord: () =>
    Promise.reject(new SnowlineError('gate.no_servicenow', 'no ServiceNow reader is configured for gates')),
  query: () => Promise.reject(new SnowlineError('gate.no_servicenow', 'no ServiceNow reader is configured for gates')),
};
