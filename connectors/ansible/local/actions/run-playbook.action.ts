import { playbookRisk } from '../../../playbook-risk';
import path from 'node:path';
import type { ActionContext, ActionHandler, ActionSpec } from '../../../connector';
import { ConnectorError } from '../../../../src/errors';
import { parseParams } from '../../errors';
import { playbookVarsProblems } from '../playbook-vars';
import { LOCAL_CONNECTOR, type LocalPlaybookRunner } from '../runner';
import {
  runPlaybookParamsSchema,
  runPlaybookResultSchema,
  type RunPlaybookParams,
  type RunPlaybookResult,
} from '../schemas';

/**
 * `ansible_local.run_playbook`: runs a configured playbook with the real ansible-playbook and
 * returns per-host results. It finishes within `start` (the step's signal kills it on timeout or
 * cancel); a crash mid-run means the engine runs it again, so playbooks should be idempotent —
 * they get the step's key as `snowline.idempotency_key` to help.
 */
export const runPlaybookAction: ActionSpec<RunPlaybookParams, RunPlaybookResult> = {
  name: 'run_playbook',
  risk: playbookRisk,
  description: 'Run a configured playbook with the local ansible-playbook and report per-host results',
  params: runPlaybookParamsSchema,
  result: runPlaybookResultSchema,
};

function fail(code: string, message: string, details?: Record<string, unknown>): never {
  throw new ConnectorError(LOCAL_CONNECTOR, 'permanent', code, message, { details });
}

export function createRunPlaybookHandler(
  runner: LocalPlaybookRunner,
): ActionHandler<RunPlaybookParams, RunPlaybookResult> {
  const config = runner.config;
  return {
    async start(input, ctx: ActionContext) {
      const params = parseParams(runPlaybookParamsSchema, input, runPlaybookAction.name);
      const entry = config.playbooks[params.playbook];
      if (!entry)
        fail(
          'invalid_params',
          `playbook: ${JSON.stringify(params.playbook)} is not configured (known: ${Object.keys(config.playbooks).join(', ')})`,
        );
      const problems = playbookVarsProblems(params.vars, entry.vars);
      if (problems.length > 0)
        fail('invalid_params', `${LOCAL_CONNECTOR}.run_playbook parameters are invalid: ${problems.join('; ')}`, {
          problems,
        });
      if (params.limit !== undefined) {
        const known = await runner.inventoryHosts(ctx.signal);
        const unknown = params.limit.split(',').filter((h) => !known.has(h));
        if (unknown.length > 0)
          fail('invalid_params', `limit: ${unknown.map((h) => JSON.stringify(h)).join(', ')} not in the inventory`, {
            unknownHosts: unknown,
          });
      }
      const playbookFile = path.resolve(config.playbookDir, entry.file);
      const vars = {
        ...params.vars,
        snowline: {
          idempotency_key: ctx.idempotencyKey,
          run_id: ctx.runId,
          step: ctx.stepName,
          ticket: { table: ctx.ticket.table, sys_id: ctx.ticket.sysId, number: ctx.ticket.number },
        },
      };
      ctx.logger.info('ansible_local: running playbook', { playbook: params.playbook, limit: params.limit });
      const run = await runner.run(playbookFile, vars, params.limit, {
        timeoutMs: entry.timeoutMs,
        signal: ctx.signal,
      });
      const result: RunPlaybookResult = {
        playbook: params.playbook,
        exit_code: run.exitCode,
        hosts: run.outcome.hosts,
        messages: run.outcome.messages,
        stats: run.outcome.stats,
        stdout_tail: run.stdoutTail,
      };
      if (run.exitCode !== 0) {
        fail('playbook_failed', `playbook ${params.playbook} failed (exit ${run.exitCode}):\n${run.stdoutTail}`, {
          hosts: run.outcome.hosts,
          stdoutTail: run.stdoutTail,
        });
      }
      return { status: 'done', result };
    },
  };
}
