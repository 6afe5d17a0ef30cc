import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadConfigWithSources } from '../../../src/config';
import { effectiveValues, formatEffectiveValues } from '../../../src/config/show-config';
import { configProblems } from '../../helpers/config-problems';

/** Embedded defaults ← site file(s) ← environment: what an operator writes is only what differs. */
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'snowline-layers-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const STRONG = {
  SNOWLINE_WEBHOOK_SECRET: 'wh-7f3a9c2e5b8d1f4a6c0e9b2d5f8a1c4e',
  SNOWLINE_JWT_SECRET: 'jwt-2b5e8a1d4f7c0b3e6a9d2f5c8b1e4a7d',
};

describe('layered configuration', () => {
  it('lays a two-line file over the embedded defaults instead of replacing them', () => {
    const config = loadConfig({ file: file('small.yaml', 'logging:\n  level: warn\n'), env: {} });
    expect(config.logging.level).toBe('warn');
    expect(config.server.port).toBe(8080);
    expect(config.engine.retry.deadlineSeconds).toBe(900);
    expect(config.servicenow.tables).toEqual(['incident', 'change_request', 'problem']);
  });

  it('merges mappings key by key, replaces lists whole, and removes a value set to null', () => {
    const base = file('base.yaml', 'servicenow:\n  requestsPerHour: 3000\n');
    const site = file(
      'site.yaml',
      ['engine:', '  retry: { maxAttempts: 9 }', 'servicenow:', '  tables: [incident]', '  requestsPerHour: null'].join(
        '\n',
      ),
    );
    expect(loadConfig({ files: [base], env: {} }).servicenow.requestsPerHour).toBe(3000);
    const config = loadConfig({ files: [base, site], env: {} });
    expect(config.engine.retry).toEqual({
      maxAttempts: 9,
      baseDelayMs: 1000,
      maxDelayMs: 30000,
      deadlineSeconds: 900,
      writebackDeadlineSeconds: 3600,
    });
    expect(config.servicenow.tables).toEqual(['incident']);
    expect(config.servicenow.requestsPerHour).toBeUndefined();
  });

  it('lays several files in order, the environment over all of them', () => {
    const base = file('base.yaml', 'server:\n  port: 9000\n  rateLimitPerMinute: 50\n');
    const site = file('site.yaml', 'server:\n  port: 9100\n');
    const config = loadConfig({ env: { SNOWLINE_CONFIG: `${base},${site}`, LOG_LEVEL: 'debug' } });
    expect(config.server.port).toBe(9100);
    expect(config.server.rateLimitPerMinute).toBe(50);
    expect(config.logging.level).toBe('debug');
    expect(loadConfig({ env: { SNOWLINE_CONFIG: `${base},${site}`, PORT: '9200' } }).server.port).toBe(9200);
  });

  it('reads NAME_FILE for a variable (mounted Docker and Kubernetes secrets); NAME wins over it', () => {
    const secret = file('jwt', `${'s'.repeat(40)}\n`);
    expect(loadConfig({ env: { SNOWLINE_JWT_SECRET_FILE: secret } }).security.jwtSecret).toBe('s'.repeat(40));
    expect(
      loadConfig({ env: { SNOWLINE_JWT_SECRET_FILE: secret, SNOWLINE_JWT_SECRET: 't'.repeat(40) } }).security.jwtSecret,
    ).toBe('t'.repeat(40));
    expect(configProblems({ SNOWLINE_JWT_SECRET_FILE: join(dir, 'absent') })).toEqual([
      `SNOWLINE_JWT_SECRET_FILE: cannot read ${join(dir, 'absent')} (ENOENT)`,
    ]);
  });

  it('names an unreadable or malformed site file, and a problem in it with its path', () => {
    expect(configProblems({ SNOWLINE_CONFIG: join(dir, 'missing.yaml') })).toEqual([
      `${join(dir, 'missing.yaml')}: cannot be read (ENOENT)`,
    ]);
    expect(configProblems({ SNOWLINE_CONFIG: file('list.yaml', '- a\n- b\n') })[0]).toMatch(
      /list\.yaml: expected a YAML mapping at the top level$/,
    );
    expect(configProblems({ SNOWLINE_CONFIG: file('bad.yaml', 'server:\n  port: eighty\n') })).toEqual([
      'server.port: expected number, got "eighty"',
    ]);
  });

  it('records where every value came from', () => {
    const site = file('site.yaml', 'logging:\n  level: warn\n');
    const { sources } = loadConfigWithSources({
      file: site,
      env: { PORT: '9090', SNOWLINE_REDIS_URL: 'redis://cache:6379' },
    });
    expect(sources.get('server.port')).toBe('env PORT');
    expect(sources.get('logging.level')).toMatch(/site\.yaml$/);
    expect(sources.get('engine.tickMs')).toBe('config/default.yaml');
    expect(sources.get('redis.url')).toBe('env SNOWLINE_REDIS_URL');
    expect(sources.get('servicenow.tables')).toBe('config/default.yaml');
  });

  it('ships config/production.example.yaml, which loads against a real instance with its variables set', () => {
    const env = {
      ...STRONG,
      SNOWLINE_CONFIG: 'config/production.example.yaml',
      DATABASE_URL: 'postgres://snowline:pw@db:5432/snowline',
      SERVICENOW_URL: 'https://acme.service-now.com',
      SERVICENOW_USER: 'svc_snowline',
      SERVICENOW_PASSWORD: 'instance-password',
      SNOWLINE_SECRET_KEY: 'ab'.repeat(32),
    };
    const config = loadConfig({ env });
    expect(config.servicenow.url).toBe('https://acme.service-now.com');
    expect(config.store.postgresUrl).toBe('postgres://snowline:pw@db:5432/snowline');
    expect(config.servicenow.requestsPerHour).toBe(3000);
    expect(config.server.port).toBe(8080);
    const { SERVICENOW_PASSWORD: _dropped, ...withoutPassword } = env;
    expect(configProblems(withoutPassword)).toEqual([
      'servicenow.password: expected environment variable SERVICENOW_PASSWORD, got nothing',
    ]);
  });
});

describe('config show', () => {
  it('prints each effective value with its source, and never a secret', () => {
    const { config, sources } = loadConfigWithSources({
      env: {
        SNOWLINE_JWT_SECRET: 'showme-0123456789abcdef-0123456789abcdef',
        SNOWLINE_REDIS_URL: 'redis://:cachepass@cache:6379',
        SNOWLINE_SANDBOX_PASSWORD: 'sandpass',
        PORT: '9091',
      },
    });
    const text = formatEffectiveValues(effectiveValues(config, sources));
    expect(text).not.toContain('showme-0123456789abcdef');
    expect(text).not.toContain('cachepass');
    expect(text).not.toContain('sandpass');
    expect(text).toMatch(/^server\.port: 9091\s+# env PORT$/m);
    expect(text).toMatch(/^security\.jwtSecret: \[redacted\]\s+# env SNOWLINE_JWT_SECRET$/m);
    expect(text).toMatch(/^redis\.url: redis:\/\/:%5Bredacted%5D@cache:6379\s+# env SNOWLINE_REDIS_URL$/m);
    expect(text).toMatch(/^engine\.tickMs: 200\s+# config\/default\.yaml$/m);
    expect(text).toMatch(/^servicenow\.tables: \["incident","change_request","problem"\]\s+# config\/default\.yaml$/m);
  });

  it('redacts notification secrets: webhook URLs (the URL is the credential) and SMTP passwords', () => {
    const site = file(
      'notify.yaml',
      [
        'connectors:',
        '  notify:',
        '    channels:',
        '      ops: { type: slack, webhookUrl: env:SLACK_WEBHOOK_URL }',
        '      mail: { type: smtp, host: smtp.example.com, username: snowline, password: env:SMTP_PASSWORD, from: snowline@example.com, to: [ops@example.com] }',
        '',
      ].join('\n'),
    );
    const { config, sources } = loadConfigWithSources({
      file: site,
      env: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/hooksecret', SMTP_PASSWORD: 'mailsecret' },
    });
    const text = formatEffectiveValues(effectiveValues(config, sources));
    expect(text).not.toContain('hooksecret');
    expect(text).not.toContain('mailsecret');
    expect(text).toMatch(/^connectors\.notify\.channels\.ops\.webhookUrl: \[redacted\]\s+# .*env SLACK_WEBHOOK_URL$/m);
    expect(text).toMatch(/^sandbox\.webhookUrl: http:\/\/127\.0\.0\.1:8080\/webhooks\/servicenow/m);
  });
});
