import { Command } from 'commander';
import { anchorSettings } from '../app/options';
import { checkAgainstAnchors } from '../security/audit-anchor';
import { withConfiguredStore } from './configured-store';

/**
 * `snowline audit verify`: walks the hash chain, then checks it against the newest anchor kept
 * outside the store; exit 1 when an entry was edited or deleted, or the journal is not the one the
 * anchors expect.
 */
export function auditCommand(): Command {
  const audit = new Command('audit').description('the append-only audit journal');
  audit
    .command('verify')
    .description('check the hash chain of the audit journal and its anchors; exits 1 when it was altered')
    .action(() =>
      withConfiguredStore(async (_store, repos, config) => {
        const chain = await repos.audit.verify();
        if (!chain.ok) {
          process.stdout.write(
            `audit journal ALTERED at entry ${chain.brokenAt}: ${chain.reason} (${chain.entries} entries verified before it)\n`,
          );
          process.exitCode = 1;
          return;
        }
        const anchored = await checkAgainstAnchors(repos.audit, chain.entries, anchorSettings(config));
        if (!anchored.ok) {
          process.stdout.write(`audit journal ALTERED: ${anchored.message}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`audit journal intact: ${chain.entries} entries verified; ${anchored.message}\n`);
      }),
    );
  return audit;
}
