import type { z } from 'zod';
import { authSchema, type ServiceNowAuth } from '../../connectors/servicenow/schemas';
import type { serviceNowSchema } from './sections';

type InstanceSettings = z.infer<typeof serviceNowSchema>;

/** Which scheme the settings ask for: the explicit `authType`, else the first credential present. */
function chosenType(sn: InstanceSettings): ServiceNowAuth['type'] {
  if (sn.authType) return sn.authType;
  if (sn.clientId) return 'oauth';
  if (sn.apiKey) return 'api_key';
  if (sn.token) return 'bearer';
  return 'basic';
}

/** The env variable behind each setting, so a problem says what to set. */
const ENV_OF: Record<string, string> = {
  username: 'SERVICENOW_USER',
  password: 'SERVICENOW_PASSWORD',
  clientId: 'SERVICENOW_CLIENT_ID',
  clientSecret: 'SERVICENOW_CLIENT_SECRET',
  refreshToken: 'SERVICENOW_REFRESH_TOKEN',
  apiKey: 'SERVICENOW_API_KEY',
  token: 'SERVICENOW_TOKEN',
};

/**
 * The connector's auth for a configured instance (https://www.servicenow.com/docs/r/platform-security/authentication/api-authentication.html), or the
 * problems that stop start-up, each naming the setting and its environment variable.
 */
export function instanceAuth(
  sn: InstanceSettings,
): { ok: true; auth: ServiceNowAuth } | { ok: false; problems: string[] } {
  const type = chosenType(sn);
  const candidate =
    type === 'basic'
      ? { type, username: sn.username, password: sn.password }
      : type === 'oauth'
        ? {
            type,
            grant:
              sn.oauthGrant ??
              (sn.refreshToken && !sn.username ? 'refresh_token' : sn.username ? 'password' : 'client_credentials'),
            clientId: sn.clientId,
            clientSecret: sn.clientSecret,
            username: sn.username,
            password: sn.password,
            refreshToken: sn.refreshToken,
          }
        : type === 'api_key'
          ? { type, apiKey: sn.apiKey }
          : { type, token: sn.token };
  const parsed = authSchema.safeParse(JSON.parse(JSON.stringify(candidate)));
  if (parsed.success) return { ok: true, auth: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? 'authType');
      const env = ENV_OF[field] ? ` (env ${ENV_OF[field]})` : '';
      const missing = issue.code === 'invalid_type' ? 'is required' : issue.message;
      return `servicenow.${field}${env}: ${missing} for ${type} authentication`;
    }),
  };
}
