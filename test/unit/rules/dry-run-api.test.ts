import type { Request } from 'express';
import { connectors } from '../../../connectors/registry';
import { ruleRoutes } from '../../../src/api/rules.routes';
import { ValidationError } from '../../../src/errors';
import { mappingCatalog } from '../../../src/rules/catalog';
import { loadRuleSet } from '../../../src/mappings/mapping-files';
import type { RuleReloader } from '../../../src/mappings/rule-reloader';

const catalog = mappingCatalog(connectors);
const { ruleSet } = loadRuleSet('mappings', catalog);
const rules = { current: () => ruleSet!, status: () => ({ version: ruleSet!.version }) } as unknown as RuleReloader;
const route = ruleRoutes({ rules, catalog, versions: {} as never, dispatcher: {} as never, lookups: {} as never }).find(
  (r) => r.path === '/rules/dry-run',
)!;
const call = (body: unknown) => route.handle({ body } as Request, { query: {}, body: body as Record<string, unknown> });

describe('POST /api/v1/rules/dry-run', () => {
  it('answers like the CLI: matched rules, rendered steps, and the first failing term of each other rule', async () => {
    const record = {
      sys_id: 'a'.repeat(32),
      number: 'INC0099999',
      short_description: 'nginx is down on web-01',
      active: 'true',
      state: '3',
    };
    const result = (await call({ table: 'incident', record })) as {
      matched: string[];
      explain: Record<string, { failedTerms?: string[]; reason?: string }>;
    };
    expect(result.matched).toEqual([]);
    expect(result.explain['restart-service-when-down']).toMatchObject({
      reason: 'condition not met',
      failedTerms: ['stateIN1,2'],
    });
    expect(result.explain['restart-service-on-command']!.reason).toBe(
      'fires on /automate restart-service by Linux Ops or Service Desk only',
    );
    const matched = (await call({ table: 'incident', record: { ...record, state: '1' } })) as {
      matched: string[];
      steps: { with: unknown }[];
    };
    expect(matched.matched).toEqual(['restart-service-when-down']);
    expect(matched.steps[0]!.with).toMatchObject({ limit: 'web-01', extra_vars: { service_name: 'nginx' } });
  });

  it('refuses a body without a known table, naming the field', async () => {
    await expect(call({ table: 'cmdb_ci', record: {} })).rejects.toThrow(ValidationError);
    await expect(call({ table: 'cmdb_ci', record: {} })).rejects.toThrow(/table/);
  });
});
