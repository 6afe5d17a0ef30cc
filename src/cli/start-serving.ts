import { startApp, type RunningApp } from '../app/app';
import { usesSandbox, type Config } from '../config';
import type { Logger } from '../observability/logger';
import { startSandboxFromConfig } from '../../sandbox/from-config';

/**
 * `snowline serve`: Snowline, preceded by the built-in ServiceNow + AWX sandbox when no instance is
 * configured. The sandbox is started here, at the entry point, so that product code never depends on it.
 */
export async function startServing(config: Config, logger: Logger): Promise<RunningApp> {
  if (!usesSandbox(config)) return startApp(config, logger);
  const sandbox = await startSandboxFromConfig(config, logger.child({ component: 'sandbox' }));
  const app = await startApp(config, logger, { sandboxUrl: sandbox.url }).catch(async (err: unknown) => {
    await sandbox.close();
    throw err;
  });
  return {
    ...app,
    async stop() {
      await app.stop();
      await sandbox.close();
    },
  };
}
