import { Command } from 'commander';
import winston from 'winston';
import { retentionFromConfig } from '../app/retention';
import type { RetentionOutcome } from '../retention/retention';
import { withConfiguredStore } from './configured-store';
import { formatTable } from './table';

/** `snowline retention run [--dry-run]`: one retention pass now, as the leader's scheduled job does it. */
export function retentionCommand(): Command {
  const retention = new Command('retention').description('prune old records per retention.* (runs archived first)');
  retention
    .command('run')
    .description('archive and prune what is older than its retention; --dry-run only counts')
    .option('--dry-run', 'count what would be pruned, change nothing')
    .option('--json', 'print the outcome as JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      await withConfiguredStore(async (_store, repos, config) => {
        const outcome = await retentionFromConfig(config, repos, stderrLogger(config.logging.level)).run({
          dryRun: options.dryRun === true,
        });
        process.stdout.write(options.json ? `${JSON.stringify(outcome, null, 2)}\n` : describe(outcome, config));
      });
    });
  return retention;
}

function describe(outcome: RetentionOutcome, config: { retention: Record<string, unknown> }): string {
  const days = (key: string) => (config.retention[key] === undefined ? 'kept' : `${String(config.retention[key])} d`);
  const rows = [
    ['events', days('eventsDays'), String(outcome.events)],
    ['runs', days('runsDays'), String(outcome.runs)],
    ['step outputs', days('stepOutputsDays'), String(outcome.stepOutputs)],
    ['controller output', days('controllerOutputDays'), String(outcome.controllerOutputs)],
    ['audit entries', days('auditDays'), String(outcome.auditEntries)],
  ];
  const head = outcome.dryRun ? 'dry run: nothing changed' : `archives written: ${outcome.archives.length}`;
  return `${head}\n${formatTable(['kind', 'retention', outcome.dryRun ? 'would prune' : 'pruned'], rows)}`;
}

/** Log lines go to stderr, so stdout carries only the outcome. */
function stderrLogger(level: string): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
