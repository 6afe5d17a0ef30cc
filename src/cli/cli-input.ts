import { ServiceNowClient } from '../../connectors/servicenow/client';
import { usesSandbox, type Config } from '../config';
import { instanceAuth } from '../config/servicenow-auth';

/** A CLI command's refusal of its input: the message on stderr, exit code 2 (a usage error). */
export type Refuse = (message: string) => never;

/**
 * Runs `work` with a client of the configured instance (SERVICENOW_URL), closed afterwards;
 * without one, refuses with `withoutInstance` (what the command wanted the instance for).
 */
export async function withConfiguredInstance<T>(
  config: Config,
  withoutInstance: string,
  refuse: Refuse,
  work: (client: ServiceNowClient) => Promise<T>,
): Promise<T> {
  if (usesSandbox(config)) refuse(withoutInstance);
  const auth = instanceAuth(config.servicenow);
  if (!auth.ok) refuse(auth.problems.join('\n'));
  const client = new ServiceNowClient({
    url: config.servicenow.url!,
    auth: auth.auth,
    extraHeaders: config.servicenow.extraHeaders,
  });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** An ISO 8601 date or date-time given to `flag`, in UTC milliseconds. */
export function isoInstant(flag: string, text: string, refuse: Refuse): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    refuse(`${flag}: expected an ISO 8601 date or date-time, got ${JSON.stringify(text)}`);
  return ms;
}
