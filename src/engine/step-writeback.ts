import { randomUUID } from 'node:crypto';
import { traceIdOf } from '../observability/trace-ids';
import type { Repositories } from '../store';
import type { Run, Step } from '../store/run.repository';
import { attachmentEntry, DEFAULT_ATTACHMENT_MAX_BYTES, outputAttachment, type OutboxAttachment } from './job-output';
import {
  renderWriteback,
  runContextIfReadable,
  stepFlowIfReadable,
  writebackFor,
  type RunContext,
} from './run-context';
import { openSecretParams, paramsForDisplay } from './run-secrets';
import { maskSecrets } from './secret-params';
import type { StepWorkerKit } from './step-worker-kit';

type OutboxExecutor = Parameters<Repositories['outbox']['enqueue']>[0];

/** How a run that ended reports to its ticket. */
export type RunOutcome = 'succeeded' | 'failed' | 'refused';

export interface StepWriteback {
  /** Queues a write-back (fields and/or a work note) to the run's ticket, in the caller's transaction. */
  enqueueWriteback(
    trx: OutboxExecutor,
    run: Run,
    writeback: { fields: Record<string, string>; workNote?: string },
    at: number,
  ): Promise<void>;
  /** Queues what an ended run tells its ticket: its write-back and the output it asks to attach; says how many entries. */
  enqueueRunEnd(
    trx: OutboxExecutor,
    run: Run,
    steps: readonly Step[],
    outcome: RunOutcome,
    settlingError: string | undefined,
    at: number,
  ): Promise<number>;
}

/** The write-backs the step worker queues to the outbox: run ends, gate waits, milestone verdicts. */
export function createStepWriteback(kit: StepWorkerKit): StepWriteback {
  const { deps, secretBox } = kit;
  const { repos } = deps;

  async function enqueueWriteback(
    trx: OutboxExecutor,
    run: Run,
    writeback: { fields: Record<string, string>; workNote?: string },
    at: number,
  ): Promise<void> {
    const id = randomUUID();
    const marker = `snowline-writeback:${id}`;
    const fields = {
      ...writeback.fields,
      // The trace id tags the note: the ticket leads to the trace (docs/observability.md).
      ...(writeback.workNote
        ? { work_notes: `${writeback.workNote}\n[${marker} trace:${traceIdOf(run.correlation_id)}]` }
        : {}),
    };
    await repos.outbox.enqueue(trx, {
      id,
      run_id: run.id,
      table_name: run.table_name,
      sys_id: run.sys_id,
      ticket_number: run.ticket_number,
      fields: JSON.stringify(fields),
      marker,
      next_at: at,
    });
  }

  async function enqueueRunEnd(
    trx: OutboxExecutor,
    run: Run,
    steps: readonly Step[],
    outcome: RunOutcome,
    settlingError: string | undefined,
    at: number,
  ): Promise<number> {
    const failedStep = steps.find(
      (s) => (s.state === 'failed' || s.state === 'refused') && stepFlowIfReadable(s)?.compensates === undefined,
    );
    const context = writebackContext(run);
    // A run whose context is corrupt has no write-back to render: it ends, its failed step says why.
    if (!context) return 0;
    let queued = 0;
    const writeback = maskSecrets(
      renderWriteback(context, run.id, steps, outcome, failedStep?.error ?? settlingError ?? ''),
    );
    if (writeback && (writeback.workNote || Object.keys(writeback.fields).length > 0)) {
      await enqueueWriteback(trx, run, writeback, at);
      queued++;
    }
    const attachment = outputToAttach(context, steps, outcome);
    if (attachment) {
      await repos.outbox.enqueue(trx, attachmentEntry(run, run.table_name, run.sys_id, attachment, at));
      queued++;
    }
    return queued;
  }

  /**
   * The context a write-back renders with: secret params opened (the note is masked after), or, when
   * they cannot be opened, shown masked so the run still reports its outcome; undefined when the
   * stored context is corrupt.
   */
  function writebackContext(run: Run): RunContext | undefined {
    const stored = runContextIfReadable(run);
    if (!stored) return undefined;
    try {
      return openSecretParams(stored, secretBox);
    } catch {
      return { ...stored, params: paramsForDisplay(stored) };
    }
  }

  /** The output a rule's write-back asks to attach (`attach_output`), when its step left any (stored masked, see settle). */
  function outputToAttach(
    context: RunContext,
    steps: readonly Step[],
    outcome: RunOutcome,
  ): OutboxAttachment | undefined {
    const wanted = writebackFor(context, outcome)?.attach_output;
    const step = wanted && steps.find((s) => s.name === wanted.step);
    return step
      ? outputAttachment(step, wanted.file_name, deps.attachmentMaxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES)
      : undefined;
  }

  return { enqueueWriteback, enqueueRunEnd };
}
