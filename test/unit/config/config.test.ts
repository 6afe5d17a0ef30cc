import { loadConfig, usesSandbox } from '../../../src/config';
import { configProblems } from '../../helpers/config-problems';

const file = 'config/default.yaml';

const problems = (env: NodeJS.ProcessEnv) => configProblems(env, file);

describe('configuration', () => {
  it('runs on the embedded defaults: SQLite file store and the sandbox', () => {
    const config = loadConfig({ file, env: {} });
    expect(config.store.sqlitePath).toBe('data/snowline.db');
    expect(config.store.postgresUrl).toBeUndefined();
    expect(usesSandbox(config)).toBe(true);
    expect(config.server.port).toBe(8080);
    expect(config.sandbox.port).toBe(8081);
  });

  it('lets environment variables override the file', () => {
    const config = loadConfig({
      file,
      env: {
        PORT: '9090',
        DATABASE_URL: 'postgres://db/snowline',
        SNOWLINE_POLL_SECONDS: '2',
        SNOWLINE_SANDBOX_WEBHOOKS: 'false',
      },
    });
    expect(config.server.port).toBe(9090);
    expect(config.store.postgresUrl).toBe('postgres://db/snowline');
    expect(config.servicenow.pollSeconds).toBe(2);
    expect(config.sandbox.webhooks).toBe(false);
  });

  it('stops with one line per problem, naming the path, what was expected and what came', () => {
    const lines = problems({ PORT: 'eighty', SNOWLINE_SANDBOX_WEBHOOKS: 'maybe', SERVICENOW_URL: 'not a url' });
    expect(lines).toEqual([
      'server.port: expected an integer, got "eighty" (from env PORT)',
      'sandbox.webhooks: expected true or false, got "maybe" (from env SNOWLINE_SANDBOX_WEBHOOKS)',
    ]);
    expect(problems({ SERVICENOW_URL: 'not a url' })).toEqual([
      expect.stringMatching(/^servicenow\.url: .*got "not a url"$/),
    ]);
  });

  it('refuses the sandbox secrets when a real instance is configured, without printing them', () => {
    const lines = problems({
      SERVICENOW_URL: 'https://acme.service-now.com',
      SERVICENOW_USER: 'svc',
      SERVICENOW_PASSWORD: 'pw',
    });
    expect(lines).toEqual([
      'security.webhookSecret: expected a real secret for a connected instance, got the sandbox default',
      'security.jwtSecret: expected a real secret for a connected instance, got the sandbox default',
    ]);
    expect(lines.join(' ')).not.toContain('sandbox-only');
  });

  it('resolves file: references to secrets', () => {
    const config = loadConfig({ file, env: { SNOWLINE_JWT_SECRET: 'file:package.json' } });
    expect(config.security.jwtSecret).toContain('"name": "snowline"');
  });

  it('never shows a secret value in a problem line', () => {
    const lines = problems({
      SERVICENOW_URL: 'https://acme.service-now.com',
      SNOWLINE_WEBHOOK_SECRET: 'w'.repeat(40),
      SNOWLINE_JWT_SECRET: 'j'.repeat(40),
      PORT: '-5',
    });
    expect(lines).toEqual([expect.stringMatching(/^server\.port: .*got -5$/)]);
  });
});
