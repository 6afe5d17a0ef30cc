import { loadConfig } from '../../../src/config';
import { assertProductionSecrets, secretWeakness } from '../../../src/app/secret-strength';

const strong = {
  jwt: 'k3P9vQ2mX7tR4wY8zL1nB6cF0hJ5sD2g',
  webhook: 'W8e2Rt5Yu1Io4Pa7Sd0Fg3Hj6Kl9Zx2C',
  key: 'a'.repeat(0) + '9f'.repeat(16),
};
const config = (env: Record<string, string>) => loadConfig({ file: 'config/default.yaml', env });
const problems = (env: Record<string, string>) => {
  try {
    assertProductionSecrets(config(env));
    return [];
  } catch (err) {
    return (err as { lines: string[] }).lines;
  }
};
const real = { SERVICENOW_URL: 'https://acme.service-now.com', SERVICENOW_USER: 'u', SERVICENOW_PASSWORD: 'p' };

describe('secrets with a real endpoint', () => {
  it('refuses the sandbox defaults when only the controller is real (AWX_URL)', () => {
    const lines = problems({ AWX_URL: 'https://awx.example.com', AWX_TOKEN: 't' });
    expect(lines).toEqual([
      expect.stringMatching(
        /^security\.jwtSecret: .*env SNOWLINE_JWT_SECRET.*the sandbox default; required because awx\.url/,
      ),
      expect.stringMatching(/^security\.webhookSecret: .*env SNOWLINE_WEBHOOK_SECRET.*the sandbox default/),
      expect.stringMatching(/^secrets\.key: .*SNOWLINE_SECRET_KEY/),
    ]);
  });

  it('refuses one-character, short, repeated and published secrets, and never prints them', () => {
    const lines = problems({
      ...real,
      SNOWLINE_JWT_SECRET: 'x',
      SNOWLINE_WEBHOOK_SECRET: 'changeme'.repeat(5),
      SNOWLINE_SECRET_KEY: strong.key,
    });
    expect(lines).toEqual([
      expect.stringMatching(/SNOWLINE_JWT_SECRET.*shorter than 32 bytes/),
      expect.stringMatching(/SNOWLINE_WEBHOOK_SECRET.*a repeated pattern/),
    ]);
    expect(lines.join('\n')).not.toContain('changeme');
    expect(secretWeakness('your-256-bit-secret-your-256-bit-secret')).toBe('a published example value');
  });

  it('starts with strong secrets and a key, and with the defaults when every endpoint is the sandbox or on loopback', () => {
    expect(
      problems({
        ...real,
        SNOWLINE_JWT_SECRET: strong.jwt,
        SNOWLINE_WEBHOOK_SECRET: strong.webhook,
        SNOWLINE_SECRET_KEY: strong.key,
      }),
    ).toEqual([]);
    expect(problems({})).toEqual([]);
    expect(
      problems({
        SERVICENOW_URL: 'http://127.0.0.1:8081',
        SERVICENOW_USER: 'admin',
        SERVICENOW_PASSWORD: 'admin',
        AWX_URL: 'http://localhost:8081',
        SNOWLINE_WEBHOOK_SECRET: 'bench',
        SNOWLINE_JWT_SECRET: 'bench-jwt',
      }),
    ).toEqual([]);
  });
});
