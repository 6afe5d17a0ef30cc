/** The close path of a change: after each step, its task, job log and notes; at the end, Review or the rollback plan. */
import { randomUUID } from 'node:crypto';
import type { StoreTransaction } from '../store';
import type { EmitInTransaction } from '../engine/run-event-emitter';
import { runRefOf } from '../engine/run-events';
import type { Run } from '../store/run.repository';
import { runContextIfReadable, type ChangeRunContext, type RunContext } from '../engine/run-context';
import type { SettledStep } from '../engine/step-worker';
import { buildSteps, followUpRun } from '../engine/run-steps';
import { attachmentEntry, DEFAULT_ATTACHMENT_MAX_BYTES, outputAttachment } from '../engine/job-output';
import { closeFields, describeStep, notStartedCloseFields } from './change-notes';
import { who, type ChangeLifecycleDeps, type ChangeWrites } from './change-writes';

/**
 * After a step of a change_request run settles: closes its change task, attaches its job log and
 * notes the milestone; when the run ends, moves the change to Review or runs the rollback plan as
 * its own run.
 */
export function changeAfterSettle(
  deps: ChangeLifecycleDeps,
  { enqueue }: ChangeWrites,
): (trx: StoreTransaction, settled: SettledStep, emit: EmitInTransaction) => Promise<void> {
  const { repos } = deps;

  async function afterSettle(trx: StoreTransaction, settled: SettledStep, emit: EmitInTransaction): Promise<void> {
    const { run, step, at } = settled;
    // A run is a change's from its creation (run-builder): the others need nothing read here.
    if (!runContextIfReadable(run)?.change) return;
    // Read again in the settling transaction: the gate may have saved the change's state since the run was read.
    const context = runContextIfReadable((await repos.runContexts.read(trx, run.id)) ?? run);
    const change = context?.change;
    if (!context || !change) return;
    const prefix = who(context, run);
    await closeTasks(trx, run, change, settled);
    await attachJobLog(trx, run, settled);
    const neverStarted = settled.steps.every((s) => s.started_at === null);
    if (settled.outcome === 'refused' && neverStarted && !change.rollbackOf) {
      await repos.changeClaims.release(trx, run.id);
      // Already in Implement (a milestone check of the first step refused it): nothing ran, but the change must not stay there.
      const close = change.implementing
        ? notStartedCloseFields(run.id, context.rule.id, settled.error ?? 'refused', at)
        : {};
      await enqueue(
        trx,
        run,
        'change_request',
        run.sys_id,
        { ...close, work_notes: `${prefix}: not implementing ${run.ticket_number}: ${settled.error}.` },
        at,
      );
      await emit({ type: 'change.gate.refused', run: runRefOf(run), at, reason: settled.error });
      return;
    }
    if (settled.runState === 'running' || settled.runState === 'paused') {
      if (settled.outcome === 'succeeded')
        await enqueue(
          trx,
          run,
          'change_request',
          run.sys_id,
          { work_notes: `${prefix}: ${describeStep(step, settled.steps)}.` },
          at,
        );
      return;
    }
    const failed = settled.runState !== 'succeeded';
    if (failed && !change.rollbackOf && change.plan.rollback.length > 0) {
      const rollbackRun = await startRollback(trx, run, context, change, step.name, settled.error ?? 'failed', at);
      await emit({
        type: 'change.rollback.started',
        run: runRefOf(run),
        at,
        rollbackRunId: rollbackRun,
        failedStep: step.name,
      });
      await repos.changeClaims.transfer(trx, run.id, rollbackRun);
      const note = `${prefix}: step ${step.name} failed: ${settled.error}. Running the rollback plan (${change.plan.rollback.map((s) => s.name).join(', ')}) as run ${rollbackRun}.`;
      await enqueue(trx, run, 'change_request', run.sys_id, { work_notes: note }, at);
      return;
    }
    await repos.changeClaims.release(trx, run.id);
    const fields = closeFields({
      context,
      change,
      run,
      steps: settled.steps,
      outcome: failed ? 'failed' : 'succeeded',
      failedStep: step.name,
      error: settled.error,
      at,
    });
    await enqueue(
      trx,
      run,
      'change_request',
      run.sys_id,
      { ...fields, work_notes: `${prefix}: ${fields.close_notes}` },
      at,
    );
    await emit({ type: 'change.closed', run: runRefOf(run), at, closeCode: fields.close_code });
  }

  /** The output of every plan (and rollback) step that ran goes onto the change record as a file. */
  async function attachJobLog(trx: StoreTransaction, run: Run, settled: SettledStep): Promise<void> {
    if (settled.outcome !== 'succeeded' && settled.outcome !== 'failed') return;
    const saved = settled.steps.find((s) => s.id === settled.step.id);
    if (!saved || saved.started_at === null) return;
    const file = outputAttachment(
      saved,
      `snowline-${run.id.slice(0, 8)}-${saved.name}.log`,
      deps.attachmentMaxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES,
    );
    if (file) await repos.outbox.enqueue(trx, attachmentEntry(run, 'change_request', run.sys_id, file, settled.at));
  }

  async function closeTasks(
    trx: StoreTransaction,
    run: Run,
    change: ChangeRunContext,
    settled: SettledStep,
  ): Promise<void> {
    const taskOf = (name: string) => change.tasks?.[name];
    const settledTask = taskOf(settled.step.name);
    if (settledTask) {
      const ended = settled.outcome === 'failed' || settled.outcome === 'refused';
      const note = ended
        ? `step ${settled.step.name} ${settled.outcome}: ${settled.error}`
        : describeStep(settled.step, settled.steps);
      await enqueue(
        trx,
        run,
        'change_task',
        settledTask,
        { state: '3', close_notes: note, work_notes: `Snowline run ${run.id}: ${note}` },
        settled.at,
      );
    }
    for (const s of settled.steps) {
      const task = taskOf(s.name);
      if (task && s.state === 'cancelled' && s.id !== settled.step.id)
        await enqueue(
          trx,
          run,
          'change_task',
          task,
          { state: '4', work_notes: `Snowline run ${run.id}: not run, step ${settled.step.name} failed.` },
          settled.at,
        );
    }
  }

  async function startRollback(
    trx: StoreTransaction,
    run: Run,
    context: RunContext,
    change: ChangeRunContext,
    failedStep: string,
    error: string,
    at: number,
  ): Promise<string> {
    const id = randomUUID();
    const rollbackContext: RunContext = {
      ...context,
      writeback: {},
      change: { plan: change.plan, rollbackOf: { runId: run.id, step: failedStep, error }, cleared: true },
    };
    // The rollback plan's steps are built like a rule's (in order, with their flow options); they pass the change gate.
    const steps = buildSteps({ steps: change.plan.rollback, gates: [] }, id, at);
    await repos.runs.create(
      trx,
      followUpRun(run, {
        id,
        eventKey: `${run.event_key}:rollback:${run.id}`,
        context: rollbackContext,
        // The rollback works on what the run worked on: it keeps the run's concurrency key.
        concurrencyKey: run.concurrency_key,
        at,
      }),
      steps,
    );
    return id;
  }

  return afterSettle;
}
