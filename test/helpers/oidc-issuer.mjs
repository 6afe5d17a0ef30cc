// A real OpenID Provider for the console's sign-in tests: `oidc-provider` (ESM only, hence a child
// process of its own), with its development login form (any password), one client for the console,
// and accounts whose `groups` claim the test maps to Snowline roles.
// Usage: node oidc-issuer.mjs PORT REDIRECT_URL CLIENT_SECRET; prints "ready" when it listens.
import process from 'node:process';
import Provider from 'oidc-provider';

const [port, redirectUrl, clientSecret] = process.argv.slice(2);
const GROUPS = { olga: ['sn-automation-ops'], vera: ['sn-readers'], nobody: [] };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'snowline-console',
      client_secret: clientSecret,
      redirect_uris: [redirectUrl],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'], groups: ['groups'] },
  // The groups go into the ID token itself: the console reads no userinfo.
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: `idp-${id}`, preferred_username: id, name: id, groups: GROUPS[id] ?? [] }),
  }),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['oidc-test-cookie-key'] },
});
provider.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
