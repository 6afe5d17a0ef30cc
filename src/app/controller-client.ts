import { ansibleConnector, ControllerClient } from '../../connectors/ansible';
import { effectiveLimit } from '../../connectors/endpoint-limits';
import { localLimiter, type createSharedLimiters } from '../../connectors/rate-limiters';
import { usesSandbox, type Config } from '../config';
import type { Logger } from '../observability/logger';

/** A controller is configured (AWX_URL), or the sandbox's stands in for it. */
export function hasController(config: Config): boolean {
  return Boolean(config.awx.url) || usesSandbox(config);
}

/** The controller client, or none when a real instance runs without AWX_URL. */
export function controllerClientOf(
  config: Config,
  sandboxUrl: string | undefined,
  limiters: ReturnType<typeof createSharedLimiters>,
  logger: Logger,
): ControllerClient | undefined {
  const url = config.awx.url ?? sandboxUrl;
  if (!url) return undefined;
  const controller = ansibleConnector.config.parse({
    url,
    apiPath: config.awx.apiPath,
    token: config.awx.url ? config.awx.token : config.sandbox.awxToken,
    timeoutMs: config.awx.timeoutMs,
    pollIntervalMs: config.awx.pollIntervalMs,
    templateCacheMs: config.awx.templateCacheMs,
    retry: config.awx.retry,
  });
  const limit = { ...effectiveLimit(ansibleConnector.defaults, config.awx), requestTimeoutMs: controller.timeoutMs };
  // Without Redis the client's own limiter would know only the concurrency, not the hourly budget.
  const limiter = limiters.shared(`awx:${new URL(controller.url).host}`, limit) ?? localLimiter(limit);
  return new ControllerClient(controller, { logger, limiter });
}
