import { Command } from 'commander';
import { archiveCommand } from './archive.command';
import { auditCommand } from './audit.command';
import { backupCommand } from './backup.command';
import { configCommand } from './config.command';
import { rulesCommand } from './rules.command';
import { runsCommand } from './runs.command';
import { dryRunCommand } from './dry-run.command';
import { eventsCommand } from './events.command';
import { loadtestCommand } from './loadtest.command';
import { sandboxCommand } from './sandbox.command';
import { reportCommand } from './report.command';
import { retentionCommand } from './retention.command';
import { secretsCommand } from './secrets.command';
import { serveCommand } from './serve.command';
import { tokenCommand } from './token.command';
import { validateCommand } from './validate.command';

/** `snowline <command>`: one file per command, each exporting a commander Command. */
export function main(argv: string[]): void {
  const program = new Command('snowline')
    .description('Automation middleware between ServiceNow and the systems that do the work')
    .addCommand(serveCommand(), { isDefault: true })
    .addCommand(sandboxCommand())
    .addCommand(validateCommand())
    .addCommand(dryRunCommand())
    .addCommand(tokenCommand())
    .addCommand(auditCommand())
    .addCommand(secretsCommand())
    .addCommand(reportCommand())
    .addCommand(rulesCommand())
    .addCommand(runsCommand())
    .addCommand(eventsCommand())
    .addCommand(configCommand())
    .addCommand(backupCommand())
    .addCommand(retentionCommand())
    .addCommand(archiveCommand())
    .addCommand(loadtestCommand());
  program.parseAsync(argv).catch((err: Error) => {
    process.stderr.write(`snowline: ${err.message}\n`);
    process.exit(2);
  });
}
