import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { readRunTimeline, type RunTimeline } from '../api/run-timeline';
import { runViewSchema, toRunView, type RunView } from '../api/run-view';
import { createRunControl } from '../engine/run-control';
import { NotFoundError, SnowlineError } from '../errors';
import { silentLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { formatTable } from './table';
import { withConfiguredStore as withStore } from './configured-store';

const RUN_STATES = runViewSchema.shape.state.options;

const print = (text: string) => process.stdout.write(text);
const json = (value: unknown) => print(`${JSON.stringify(value, null, 2)}\n`);

function runTable(runs: readonly RunView[]): string {
  return formatTable(
    ['id', 'ticket', 'rule', 'version', 'state', 'steps', 'created'],
    runs.map((r) => [
      r.id,
      r.ticket,
      r.rule,
      r.ruleVersion,
      r.state,
      r.steps.map((s) => `${s.name}:${s.state}`).join(' '),
      r.createdAt,
    ]),
  );
}

function timelineText(t: RunTimeline): string {
  const { run } = t;
  const head = [
    `run      ${run.id}`,
    `ticket   ${run.ticket} (${run.table})`,
    `rule     ${run.rule} @ ${run.ruleVersion}`,
    `state    ${run.state}`,
    `created  ${run.createdAt}${run.finishedAt ? `  finished ${run.finishedAt}` : ''}`,
    '',
  ].join('\n');
  const views = new Map(run.steps.map((s) => [s.name, s]));
  const steps = formatTable(
    ['stage', 'step', 'use', 'state', 'attempt', 'duration', 'note'],
    t.steps.map((s) => [
      String(s.stage + 1),
      s.name,
      views.get(s.name)?.use ?? '',
      s.state,
      String(s.attempt),
      s.durationMs === null ? '' : `${s.durationMs} ms`,
      s.waitingFor ?? views.get(s.name)?.error ?? '',
    ]),
  );
  const writebacks = t.writebacks.map(
    (w) =>
      `write-back ${w.state}${w.sentAt ? ` at ${w.sentAt}` : ''}: ${w.workNote ?? w.fileName ?? JSON.stringify(w.fields)}`,
  );
  return `${head}\n${steps}${writebacks.length ? `\n${writebacks.join('\n')}\n` : ''}`;
}

/** A refusal (not found, wrong state) is the operator's answer, not a crash: message on stderr, exit 1. */
async function orExit(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!(err instanceof SnowlineError)) throw err;
    process.stderr.write(`snowline runs: ${err.message}\n`);
    process.exit(1);
  }
}

function controlCommand(verb: 'retry' | 'cancel', description: string): Command {
  return new Command(verb)
    .description(description)
    .argument('<id>', 'run id')
    .option('--json', 'print the run as JSON')
    .action((id: string, options: { json?: boolean }) =>
      orExit(() =>
        withStore(async (store, repos) => {
          // A running server picks the change up on its next tick; nothing here executes a step. The
          // journal is the record of this command: stdout is its answer, and its metrics die with it.
          const quiet = { logger: silentLogger(), metrics: createMetrics() };
          const control = createRunControl({ store, repos, ...quiet, onChange: () => undefined });
          const run = toRunView(await control[verb](id, `cli:${userInfo().username}`));
          if (options.json) json(run);
          else print(`run ${run.id} is now ${run.state}\n`);
        }),
      ),
    );
}

/** `snowline runs list|show|retry|cancel`: runs from the store, as a table or `--json` (the API's shapes). */
export function runsCommand(): Command {
  const runs = new Command('runs').description('runs: list, show, retry, cancel');
  runs
    .command('list')
    .description('runs, newest first')
    .option('--ticket <number>', 'ticket number, e.g. INC0010001')
    .option('--rule <id>', 'rule id')
    .addOption(new Option('--state <state>', 'run state').choices(RUN_STATES))
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON (as GET /api/v1/runs)')
    .action((options: { ticket?: string; rule?: string; state?: string; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        process.stderr.write('snowline runs list: --limit must be a whole number from 1 to 10000\n');
        process.exit(2);
      }
      return withStore(async (_store, repos) => {
        const found = (await repos.runs.list({ ...options, limit })).map(toRunView);
        print(options.json ? `${JSON.stringify(found, null, 2)}\n` : runTable(found));
      });
    });
  runs
    .command('show')
    .description('one run: rule and pinned version, steps with durations, write-backs')
    .argument('<id>', 'run id')
    .option('--json', 'print JSON (as GET /api/v1/runs/{id}/timeline)')
    .action((id: string, options: { json?: boolean }) =>
      orExit(() =>
        withStore(async (_store, repos) => {
          const timeline = await readRunTimeline(repos, id);
          if (!timeline) throw new NotFoundError('run', id);
          if (options.json) json(timeline);
          else print(timelineText(timeline));
        }),
      ),
    );
  runs.addCommand(controlCommand('retry', 'retry a failed run from its failed steps'));
  runs.addCommand(controlCommand('cancel', 'cancel a queued, running or paused run'));
  return runs;
}
