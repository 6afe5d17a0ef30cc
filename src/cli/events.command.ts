import { Command, Option } from 'commander';
import { toEventView, type EventView } from '../api/event-view';
import { createEventControl } from '../engine/event-control';
import { SnowlineError } from '../errors';
import { openStore, repositories, type Store } from '../store';
import { EVENT_STATES, type EventState } from '../store/inbox.repository';
import { configOrExit } from './load-config';

/** `snowline events list|replay`: the inbox as operators see it, straight from the store. */
export function eventsCommand(): Command {
  const events = new Command('events').description('inbox events: list them by state, replay rejected ones');
  events
    .command('list')
    .description('events newest first (a table, or --json); rejected ones wait for an operator')
    .addOption(new Option('--state <state>', 'only events in this state').choices([...EVENT_STATES]))
    .option('--ticket <number>', 'only events of this ticket, e.g. INC0010001')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 100)
    .option('--json', 'print { events: [...] } as the API does')
    .action(async (options: { state?: EventState; ticket?: string; limit: number; json?: boolean }) => {
      await withStore(async (store) => {
        const found = await repositories(store).inbox.list({
          state: options.state,
          ticket: options.ticket,
          limit: options.limit,
        });
        const views = found.map(toEventView);
        process.stdout.write(options.json ? `${JSON.stringify({ events: views }, null, 2)}\n` : table(views));
      });
    });
  events
    .command('replay')
    .description('send a rejected event back to the dispatcher (audited); its rules that did not act yet act now')
    .argument('<id>', 'event id (from events list)')
    .action(async (id: string) => {
      if (!/^[1-9]\d{0,15}$/.test(id)) {
        process.stderr.write(`snowline: event id must be a positive integer, got ${JSON.stringify(id.slice(0, 40))}\n`);
        process.exit(1);
      }
      await withStore(async (store) => {
        const control = createEventControl({ store, repos: repositories(store) });
        const actor = `cli:${process.env.USER ?? process.env.LOGNAME ?? 'unknown'}`;
        const event = await control.replay(Number(id), actor);
        process.stdout.write(`event ${event.seq} (${event.number}) replayed: ${event.status}\n`);
      });
    });
  return events;
}

async function withStore(work: (store: Store) => Promise<void>): Promise<void> {
  const config = configOrExit();
  const store = await openStore({
    sqlitePath: config.store.sqlitePath,
    postgresUrl: config.store.postgresUrl,
    postgresSchema: config.store.postgresSchema,
  });
  try {
    await work(store);
  } catch (err) {
    if (!(err instanceof SnowlineError)) throw err;
    process.stderr.write(`snowline: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

const COLUMNS: Array<[string, (e: EventView) => string]> = [
  ['ID', (e) => String(e.id)],
  ['TICKET', (e) => e.ticket],
  ['TABLE', (e) => e.table],
  ['MOD', (e) => String(e.sys_mod_count)],
  ['STATE', (e) => e.state],
  ['RECEIVED', (e) => e.received_at.slice(0, 19).replace('T', ' ')],
  ['REASON', (e) => (e.reason ?? '').replace(/\s+/g, ' ').slice(0, 100)],
];

function table(views: readonly EventView[]): string {
  if (views.length === 0) return 'no events\n';
  const rows = [COLUMNS.map(([h]) => h), ...views.map((v) => COLUMNS.map(([, cell]) => cell(v)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
