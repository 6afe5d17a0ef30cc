import {
  controllerConfigSchema,
  extraVarsProblems,
  EXTRA_VARS_LIMITS,
  limitProblem,
} from '../../../../connectors/ansible/schemas';
import { launchJobTemplateParamsSchema } from '../../../../connectors/ansible/actions/launch-job-template.action';

describe('limit validation', () => {
  it.each(['web01', 'web01.example.com', 'web01,web02.example.com', '10.0.0.12', 'db_primary', 'host-1'])(
    'accepts %s',
    (limit) => {
      expect(limitProblem(limit)).toBeUndefined();
    },
  );

  it.each([
    ['all', 'not a single host'],
    ['ALL', 'not a single host'],
    ['web01,all', 'not a single host'],
    ['localhost', 'not a single host'],
    ['!web01', 'host-pattern syntax'],
    ['webservers:&staging', 'host-pattern syntax'],
    ['web01:web02', 'host-pattern syntax'],
    ['web*', 'host-pattern syntax'],
    ['~web\\d+', 'host-pattern syntax'],
    ['@retry.txt', 'host-pattern syntax'],
    ['web[1:3]', 'host-pattern syntax'],
    ['web01 web02', 'whitespace'],
    ["{{ lookup('pipe','id') }}", 'template syntax'],
    ['{% raw %}', 'template syntax'],
    ['', 'empty'],
    ['web01,,web02', 'empty entry'],
    ['-web01', 'not a host name'],
    ['web01.', 'not a host name'],
    ['fe80::1', 'host-pattern syntax'],
  ])('refuses %j (%s)', (limit, why) => {
    expect(limitProblem(limit)).toContain(why);
  });

  it('is what the action parameters use', () => {
    expect(launchJobTemplateParamsSchema.safeParse({ job_template: 'Restart service', limit: 'all' }).success).toBe(
      false,
    );
    expect(launchJobTemplateParamsSchema.safeParse({ job_template: 'Restart service', limit: 'web01' }).success).toBe(
      true,
    );
  });
});

describe('extra_vars validation', () => {
  it('accepts JSON data with variable-name keys', () => {
    expect(
      extraVarsProblems({
        service_name: 'nginx',
        port: 443,
        dry_run: false,
        hosts: ['a', 'b'],
        opts: { retries: 2, note: null },
      }),
    ).toEqual([]);
  });

  it('keeps ticket text as data: template syntax in a value is allowed, but sizes are capped', () => {
    expect(extraVarsProblems({ description: "{{ lookup('pipe', 'id') }}" })).toEqual([]);
    expect(extraVarsProblems({ description: 'x'.repeat(EXTRA_VARS_LIMITS.maxStringLength + 1) })[0]).toMatch(
      /longer than/,
    );
  });

  it('refuses reserved namespaces, odd keys, non-JSON values and deep nesting', () => {
    expect(extraVarsProblems({ snowline: {} })[0]).toMatch(/reserved/);
    expect(extraVarsProblems({ ansible_eda: {} })[0]).toMatch(/reserved/);
    expect(extraVarsProblems({ 'bad-key': 1 })[0]).toMatch(/not a variable name/);
    expect(extraVarsProblems({ nested: { '{{x}}': 1 } })[0]).toMatch(/not a variable name/);
    expect(extraVarsProblems({ n: Number.POSITIVE_INFINITY })[0]).toMatch(/finite/);
    expect(extraVarsProblems({ f: (() => 1) as unknown })[0]).toMatch(/not JSON data/);
    expect(extraVarsProblems({ d: new Date() as unknown })[0]).toMatch(/not JSON data/);
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 10; i++) deep = { d: deep };
    expect(extraVarsProblems(deep)[0]).toMatch(/nested deeper/);
    expect(extraVarsProblems({ many: Array.from({ length: 501 }, () => 1) })[0]).toMatch(/more than 500 items/);
  });

  it('inventory and credentials accept ids as numbers or digit strings', () => {
    const parsed = launchJobTemplateParamsSchema.parse({ job_template: 'x', inventory: '3', credentials: [4, '5'] });
    expect(parsed).toMatchObject({ inventory: 3, credentials: [4, 5] });
    expect(launchJobTemplateParamsSchema.safeParse({ job_template: 'x', inventory: '3; rm -rf /' }).success).toBe(
      false,
    );
    expect(launchJobTemplateParamsSchema.safeParse({ job_template: 'x', surprise: 1 }).success).toBe(false);
  });
});

describe('controller config schema', () => {
  it('defaults apiPath to /api/v2/ and verifies TLS', () => {
    expect(controllerConfigSchema.parse({ url: 'https://awx.example.com', token: 't' })).toMatchObject({
      apiPath: '/api/v2/',
      verifyTls: true,
      pollIntervalMs: 1000,
    });
    expect(
      controllerConfigSchema.parse({ url: 'https://aap.example.com', apiPath: '/api/controller/v2/', token: 't' })
        .apiPath,
    ).toBe('/api/controller/v2/');
  });

  it('refuses token together with basic auth, half a basic auth, and a malformed apiPath', () => {
    expect(
      controllerConfigSchema.safeParse({ url: 'https://a', token: 't', username: 'u', password: 'p' }).success,
    ).toBe(false);
    expect(controllerConfigSchema.safeParse({ url: 'https://a', username: 'u' }).success).toBe(false);
    expect(controllerConfigSchema.safeParse({ url: 'https://a', apiPath: 'api/v2' }).success).toBe(false);
  });
});
