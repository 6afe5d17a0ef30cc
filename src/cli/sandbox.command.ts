import { Command } from 'commander';
import { createLogger } from '../observability/logger';
import type { Config } from '../config';
import { sandboxOptionsOf, sandboxStorePath } from '../../sandbox/from-config';
import { IN_MEMORY } from '../../sandbox/sandbox-db';
import { createSandbox } from '../../sandbox/server';
import { configOrExit } from './load-config';

/** `snowline sandbox`: the simulated ServiceNow instance and AWX controller on their own. */
export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('serve the simulated ServiceNow instance and AWX controller (port SNOWLINE_SANDBOX_PORT)')
    .option(
      '--store <file>',
      "the sandbox's SQLite store (default SNOWLINE_SANDBOX_DB, else <store>.sandbox.db next to SNOWLINE_DB when set, else memory)",
    )
    .option('--reset', 'forget every record and job first and start from the seeded instance (numbers continue)')
    .action(async (options: { store?: string; reset?: boolean }) => {
      const config = configOrExit();
      const logger = createLogger(config.logging.level, { service: 'snowline-sandbox' });
      const settings = sandboxOptionsOf(config, logger);
      const store = standaloneStore(options.store, config);
      const sandbox = createSandbox({ ...settings, store });
      if (options.reset) {
        sandbox.reset();
        logger.info('sandbox reset to its seeded instance', { store });
      }
      const { url } = await sandbox.listen(config.sandbox.port, config.sandbox.host);
      logger.info('sandbox ServiceNow instance and AWX controller serving', {
        url,
        store,
        webhooks: config.sandbox.webhooks ? config.sandbox.webhookUrl : 'off',
      });
      const stop = () => void sandbox.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}

/**
 * On its own, the sandbox keeps its records only where it is told to (--store, SNOWLINE_SANDBOX_DB or
 * sandbox.store, or beside an explicit SNOWLINE_DB): a rehearsal instance started next to another
 * Snowline must not inherit earlier tickets and jobs from the project's data/ folder. `serve` keeps
 * its built-in sandbox beside its own store.
 */
function standaloneStore(option: string | undefined, config: Config): string {
  if (option) return option;
  if (config.sandbox.store || process.env.SNOWLINE_DB) return sandboxStorePath(config);
  return IN_MEMORY;
}
