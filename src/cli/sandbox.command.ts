import { Command } from 'commander';
import { createLogger } from '../observability/logger';
import { createSandbox } from '../sandbox/server';
import { configOrExit } from './load-config';

/** `snowline sandbox`: the simulated ServiceNow instance and AWX controller on their own. */
export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('serve the simulated ServiceNow instance and AWX controller (port SNOWLINE_SANDBOX_PORT)')
    .option('--persist <file>', 'keep the practice instance in this JSON file across restarts')
    .action(async (options: { persist?: string }) => {
      const config = configOrExit();
      const logger = createLogger(config.logging.level, { service: 'snowline-sandbox' });
      const s = config.sandbox;
      const sandbox = createSandbox({
        user: s.user,
        password: s.password,
        awxToken: s.awxToken,
        webhookUrl: s.webhookUrl,
        webhookSecret: config.security.webhookSecret,
        webhooksEnabled: s.webhooks,
        jobDurationMs: s.jobDurationMs,
        persistFile: options.persist ?? s.persistFile,
        oauth: { clientId: s.oauthClientId, clientSecret: s.oauthClientSecret },
        apiKey: s.apiKey,
        logger,
      });
      const { url } = await sandbox.listen(s.port, s.host);
      logger.info('sandbox ServiceNow instance and AWX controller serving', {
        url,
        webhooks: s.webhooks ? s.webhookUrl : 'off',
      });
      const stop = () => void sandbox.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
