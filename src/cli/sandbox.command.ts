import { Command } from 'commander';
import { createLogger } from '../observability/logger';
import { sandboxOptionsOf } from '../sandbox/from-config';
import { createSandbox } from '../sandbox/server';
import { configOrExit } from './load-config';

/** `snowline sandbox`: the simulated ServiceNow instance and AWX controller on their own. */
export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('serve the simulated ServiceNow instance and AWX controller (port SNOWLINE_SANDBOX_PORT)')
    .option(
      '--store <file>',
      "the sandbox's SQLite store (default SNOWLINE_SANDBOX_DB, else sandbox.db next to SNOWLINE_DB)",
    )
    .option('--reset', 'forget every record and job first and start from the seeded instance (numbers continue)')
    .action(async (options: { store?: string; reset?: boolean }) => {
      const config = configOrExit();
      const logger = createLogger(config.logging.level, { service: 'snowline-sandbox' });
      const settings = sandboxOptionsOf(config, logger);
      const sandbox = createSandbox({ ...settings, store: options.store ?? settings.store });
      if (options.reset) {
        sandbox.reset();
        logger.info('sandbox reset to its seeded instance', { store: options.store ?? settings.store });
      }
      const { url } = await sandbox.listen(config.sandbox.port, config.sandbox.host);
      logger.info('sandbox ServiceNow instance and AWX controller serving', {
        url,
        store: options.store ?? settings.store,
        webhooks: config.sandbox.webhooks ? config.sandbox.webhookUrl : 'off',
      });
      const stop = () => void sandbox.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
