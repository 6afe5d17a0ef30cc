import { Command } from 'commander';
import { openStore, repositories } from '../store';
import { configOrExit } from './load-config';

/** `snowline audit verify`: walks the hash chain; exit 1 when an entry was edited or deleted. */
export function auditCommand(): Command {
  const audit = new Command('audit').description('the append-only audit journal');
  audit
    .command('verify')
    .description('check the hash chain of the audit journal; exits 1 when it was altered')
    .action(async () => {
      const config = configOrExit();
      const store = await openStore({ sqlitePath: config.store.sqlitePath, postgresUrl: config.store.postgresUrl });
      const result = await repositories(store).audit.verify();
      await store.close();
      if (result.ok) {
        process.stdout.write(`audit journal intact: ${result.entries} entries verified\n`);
        return;
      }
      process.stdout.write(
        `audit journal ALTERED at entry ${result.brokenAt}: ${result.reason} (${result.entries} entries verified before it)\n`,
      );
      process.exit(1);
    });
  return audit;
}
