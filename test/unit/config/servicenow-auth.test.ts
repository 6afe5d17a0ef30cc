import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { instanceAuth } from '../../../src/config/servicenow-auth';

/** Choosing the instance's authentication from settings (https://www.servicenow.com/docs/r/platform-security/authentication/api-authentication.html). */
const file = 'config/default.yaml';
const SECRETS = {
  SNOWLINE_WEBHOOK_SECRET: 'w'.repeat(32),
  SNOWLINE_JWT_SECRET: 'j'.repeat(32),
  SERVICENOW_URL: 'https://acme.service-now.com',
};

function authFor(env: Record<string, string>) {
  const config = loadConfig({ file, env: { ...SECRETS, ...env } });
  const auth = instanceAuth(config.servicenow);
  if (!auth.ok) throw new Error(auth.problems.join('; '));
  return auth.auth;
}
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ file, env: { ...SECRETS, ...env } });
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  return [];
}

describe('ServiceNow authentication settings', () => {
  it('basic from SERVICENOW_USER / SERVICENOW_PASSWORD', () => {
    expect(authFor({ SERVICENOW_USER: 'svc', SERVICENOW_PASSWORD: 'pw' })).toEqual({
      type: 'basic',
      username: 'svc',
      password: 'pw',
    });
  });

  it('OAuth when a client id is set: password grant with a user, client_credentials without one', () => {
    expect(
      authFor({
        SERVICENOW_CLIENT_ID: 'cid',
        SERVICENOW_CLIENT_SECRET: 'cs',
        SERVICENOW_USER: 'svc',
        SERVICENOW_PASSWORD: 'pw',
      }),
    ).toMatchObject({
      type: 'oauth',
      grant: 'password',
      clientId: 'cid',
      clientSecret: 'cs',
      username: 'svc',
      password: 'pw',
      tokenPath: '/oauth_token.do',
    });
    expect(authFor({ SERVICENOW_CLIENT_ID: 'cid', SERVICENOW_CLIENT_SECRET: 'cs' })).toMatchObject({
      type: 'oauth',
      grant: 'client_credentials',
    });
    expect(
      authFor({ SERVICENOW_CLIENT_ID: 'cid', SERVICENOW_CLIENT_SECRET: 'cs', SERVICENOW_REFRESH_TOKEN: 'rt' }),
    ).toMatchObject({ type: 'oauth', grant: 'refresh_token', refreshToken: 'rt' });
  });

  it('API key and static bearer token', () => {
    expect(authFor({ SERVICENOW_API_KEY: 'k' })).toEqual({ type: 'api_key', apiKey: 'k' });
    expect(authFor({ SERVICENOW_TOKEN: 't' })).toEqual({ type: 'bearer', token: 't' });
    expect(
      authFor({ SERVICENOW_AUTH: 'basic', SERVICENOW_API_KEY: 'k', SERVICENOW_USER: 'u', SERVICENOW_PASSWORD: 'p' }),
    ).toMatchObject({ type: 'basic' });
  });

  it('missing credentials stop start-up, naming the setting and its environment variable', () => {
    expect(problems({})).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^servicenow\.username \(env SERVICENOW_USER\): is required for basic authentication/),
      ]),
    );
    expect(problems({ SERVICENOW_CLIENT_ID: 'cid' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^servicenow\.clientSecret \(env SERVICENOW_CLIENT_SECRET\): .* oauth/),
      ]),
    );
    expect(problems({ SERVICENOW_AUTH: 'api_key' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^servicenow\.apiKey \(env SERVICENOW_API_KEY\)/)]),
    );
    expect(problems({ SERVICENOW_AUTH: 'kerberos' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^servicenow\.authType: /)]),
    );
  });

  it('the sandbox needs none of them', () => {
    expect(() => loadConfig({ file, env: {} })).not.toThrow();
  });
});
