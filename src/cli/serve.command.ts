import { Command } from 'commander';
import { startServing } from './start-serving';
import { ConfigError } from '../errors';
import { createLogger } from '../observability/logger';
import { configOrExit } from './load-config';

/** `snowline serve` (= `npm start`): the middleware, plus the sandbox when no instance is configured. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the middleware (and the built-in sandbox when SERVICENOW_URL is unset)')
    .action(async () => {
      const config = configOrExit();
      const logger = createLogger(config.logging.level);
      let app: Awaited<ReturnType<typeof startServing>>;
      try {
        app = await startServing(config, logger);
      } catch (err) {
        const lines = err instanceof ConfigError ? err.lines : [(err as Error).message];
        logger.error('start-up failed', { problems: lines });
        process.stderr.write(`snowline: cannot start\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
        process.exit(1);
      }
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info('shutting down: no new work taken, in-flight steps finish or are released', { signal });
        app.stop().then(
          () => process.exit(0),
          (err: Error) => {
            logger.error('shutdown failed', { error: err.message });
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // The conventional "read your configuration again": here, the mapping tables.
      process.on('SIGHUP', () => {
        app.reloadRules().catch((err: Error) => logger.error('mapping reload failed', { error: err.message }));
      });
    });
}
