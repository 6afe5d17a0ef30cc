import { z } from 'zod';
import { ConnectorError } from '../errors';
import type { PrivilegeProvider } from './privilege';
import { providerCall } from './provider-call';

/**
 * A CyberArk-PVWA-style privileged access manager: log on, check an account's password out with a
 * reason (exclusive until checked in), check it in, log off. The account id is the lease.
 */
export const pamProviderSchema = z
  .object({
    type: z.literal('pam'),
    url: z
      .string()
      .url()
      .describe('PVWA base URL, e.g. https://pvwa.example.com (the API is under /PasswordVault/API/)'),
    username: z.string().min(1).describe('the API user Snowline logs on as'),
    password: z.string().min(1).describe('its password (use env:NAME or file:PATH)'),
    authMethod: z.enum(['CyberArk', 'LDAP', 'RADIUS']).default('CyberArk').describe('logon method'),
    timeoutMs: z.number().int().positive().default(10_000).describe('per request, in ms'),
  })
  .strict();
export type PamProviderConfig = z.infer<typeof pamProviderSchema>;

export function createPamProvider(config: PamProviderConfig): PrivilegeProvider {
  const api = `${config.url.replace(/\/+$/, '')}/PasswordVault/API`;
  const json = { 'Content-Type': 'application/json' };

  /** Runs `work` inside a PAM session; the session is logged off whatever happens. */
  async function session<T>(work: (authorization: string) => Promise<T>): Promise<T> {
    const logon = await providerCall(`${api}/auth/${config.authMethod}/Logon`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: config.username, password: config.password }),
      timeoutMs: config.timeoutMs,
      what: 'pam logon',
    });
    const token = await logon.json().catch(() => undefined);
    if (typeof token !== 'string' || token === '')
      throw new ConnectorError(
        'privilege',
        'permanent',
        'provider_malformed',
        'pam logon: the answer is not a session token',
      );
    try {
      return await work(token);
    } finally {
      await providerCall(`${api}/auth/Logoff`, {
        method: 'POST',
        headers: { Authorization: token },
        timeoutMs: config.timeoutMs,
        what: 'pam logoff',
      }).catch(() => undefined);
    }
  }

  return {
    checkout(credential, request) {
      const account = credential.account ?? '';
      return session(async (token) => {
        const body = {
          reason: `Snowline run ${request.runId} step ${request.step}, approved by ${request.approvedBy}`,
          TicketingSystemName: 'ServiceNow',
          TicketId: request.ticket,
        };
        const response = await providerCall(`${api}/Accounts/${encodeURIComponent(account)}/Password/Retrieve`, {
          method: 'POST',
          headers: { ...json, Authorization: token },
          body: JSON.stringify(body),
          timeoutMs: config.timeoutMs,
          what: `pam checkout of account ${account}`,
        });
        const password = await response.json().catch(() => undefined);
        if (typeof password !== 'string')
          throw new ConnectorError(
            'privilege',
            'permanent',
            'provider_malformed',
            `pam checkout of account ${account}: the answer is not a password`,
          );
        return {
          leaseId: account,
          secret: { password, ...(credential.username ? { username: credential.username } : {}) },
        };
      });
    },
    release(_credential, account) {
      return session(async (token) => {
        await providerCall(`${api}/Accounts/${encodeURIComponent(account)}/CheckIn`, {
          method: 'POST',
          headers: { Authorization: token },
          timeoutMs: config.timeoutMs,
          what: `pam check-in of account ${account}`,
        });
      });
    },
  };
}
