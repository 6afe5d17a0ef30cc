import { failureReason } from '../../../src/reports/failures.report';
import { deprecatedUses, hardCodedValues, type PortfolioRule } from '../../../src/reports/rule-lint';

const rule = (values: PortfolioRule['values'], uses = ['http.request']): PortfolioRule => ({
  id: 'r',
  owner: 'ops',
  table: 'incident',
  uses,
  values,
});

describe('portfolio checks of a rule', () => {
  it('finds hard-coded addresses, hosts and credentials, not templates or references', () => {
    const found = hardCodedValues(
      rule([
        { path: 'a.with.target', key: 'target', value: '10.1.2.3' },
        { path: 'a.with.url', key: 'url', value: 'https://db01.corp/api' },
        { path: 'a.with.api_key', key: 'api_key', value: 'abc123' },
        { path: 'a.with.password', key: 'password', value: 'env:DB_PASSWORD' },
        { path: 'a.with.host', key: 'host', value: '{{ params.host }}' },
        { path: 'a.with.version', key: 'version', value: '1.2.3' },
      ]),
    );
    expect(found).toEqual([
      { path: 'a.with.target', kind: 'address' },
      { path: 'a.with.url', kind: 'host' },
      { path: 'a.with.api_key', kind: 'credential' },
    ]);
  });

  it('finds deprecated actions by connector:action and deprecated API paths in values', () => {
    const r = rule([{ path: 'a.with.url', key: 'url', value: 'https://x/api/v1/items' }], ['ansible.old_launch']);
    expect(deprecatedUses(r, ['ansible:old_launch', '/api/v1/', '/api/v9/', 'http:request'])).toEqual([
      'ansible:old_launch',
      '/api/v1/',
    ]);
  });

  it('groups error texts that differ only in figures, ids and hosts', () => {
    expect(failureReason('timed out after 300 s')).toBe(failureReason('timed out after 12 s'));
    expect(failureReason('503 from https://a.example.com/x')).toBe('# from <url>/x');
  });
});
