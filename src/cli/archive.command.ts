import { Command } from 'commander';
import { folderArchive } from '../retention/archive';
import type { RunRecord } from '../store/retention.repository';
import { withConfiguredStore } from './configured-store';
import { formatTable } from './table';

/** `snowline archive find --ticket INC…`: runs pruned by retention, read back from their archive. */
export function archiveCommand(): Command {
  const archive = new Command('archive').description('runs pruned by retention, kept in the archive');
  archive
    .command('find')
    .description("a ticket's archived runs (a table, or --json with every step, write-back and approval)")
    .requiredOption('--ticket <number>', 'ticket number, e.g. INC0010001')
    .option('--json', 'print { runs: [...] } with each run as archived')
    .action(async (options: { ticket: string; json?: boolean }) => {
      await withConfiguredStore(async (_store, repos, config) => {
        const target = folderArchive(config.retention.archive.dir);
        const found = await repos.retention.findArchived(options.ticket);
        const records: (RunRecord & { archive: string })[] = [];
        for (const name of new Set(found.map((f) => f.archive))) {
          const wanted = new Set(found.filter((f) => f.archive === name).map((f) => f.run_id));
          for (const record of (await target.read(name)) as RunRecord[])
            if (wanted.has(record.run.id)) records.push({ ...record, archive: target.locate(name) });
        }
        if (options.json) return void process.stdout.write(`${JSON.stringify({ runs: records }, null, 2)}\n`);
        if (records.length === 0) return void process.stdout.write(`no archived runs for ticket ${options.ticket}\n`);
        const rows = records.map(({ run, steps, archive: file }) => [
          run.id,
          run.rule_id,
          run.state,
          new Date(run.created_at).toISOString(),
          steps.map((s) => `${s.name}:${s.state}`).join(' '),
          file,
        ]);
        process.stdout.write(formatTable(['run', 'rule', 'state', 'created', 'steps', 'archive'], rows));
      });
    });
  return archive;
}
