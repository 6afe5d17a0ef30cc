import { z } from 'zod';
import { chooseAdmitted, type ActiveRuns, type QueuedRun } from '../../../src/engine/run-admission';
import type { MappingCatalog } from '../../../src/rules/mapping-catalog';
import { validateMappingFile } from '../../../src/rules/validate-mapping';

const catalog: MappingCatalog = {
  fieldExists: (_table, field) => ['short_description', 'cmdb_ci'].includes(field),
  connectorExists: (c) => c === 'fake',
  action: (c, a) =>
    c === 'fake' && a === 'launch'
      ? { name: a, description: a, params: z.object({ host: z.string() }), result: z.object({ job: z.number() }) }
      : undefined,
  template: () => undefined,
  withTemplates() {
    return this;
  },
};

const nothingActive: ActiveRuns = { total: 0, byRule: new Map(), keys: new Set() };
const queued = (id: string, ruleId: string, key: string | null = null, maxRuns?: number): QueuedRun => ({
  id,
  ruleId,
  key,
  maxRuns,
});

describe('which queued runs start (pure admission)', () => {
  it('starts one run per key, oldest first, and every run without a busy key', () => {
    expect(
      chooseAdmitted(
        [queued('1', 'a', 'ci:web-01'), queued('2', 'b', 'ci:web-01'), queued('3', 'a', 'ci:db-01'), queued('4', 'a')],
        nothingActive,
      ),
    ).toEqual(['1', '3', '4']);
  });

  it('holds back a run whose key an active run has', () => {
    expect(
      chooseAdmitted([queued('1', 'a', 'ci:web-01'), queued('2', 'a', 'ci:db-01')], {
        ...nothingActive,
        keys: new Set(['ci:web-01']),
      }),
    ).toEqual(['2']);
  });

  it('keeps a rule under its max_runs, counting its active runs, and keeps its order', () => {
    const active: ActiveRuns = { total: 1, byRule: new Map([['a', 1]]), keys: new Set() };
    expect(chooseAdmitted([queued('1', 'a', null, 2), queued('2', 'a', null, 2), queued('3', 'b')], active)).toEqual([
      '1',
      '3',
    ]);
  });

  it('never lets a younger run overtake an older one waiting for the same key', () => {
    // Run 1 waits for its rule's limit; run 2 has the same key and no limit, yet waits behind run 1.
    expect(
      chooseAdmitted([queued('1', 'a', 'k', 1), queued('2', 'b', 'k')], {
        total: 1,
        byRule: new Map([['a', 1]]),
        keys: new Set(),
      }),
    ).toEqual([]);
  });

  it('stops at the global limit', () => {
    expect(
      chooseAdmitted([queued('1', 'a'), queued('2', 'b'), queued('3', 'c')], { ...nothingActive, total: 8 }, 10),
    ).toEqual(['1', '2']);
    expect(chooseAdmitted([queued('1', 'a')], { ...nothingActive, total: 10 }, 10)).toEqual([]);
  });
});

describe('concurrency in mapping rules', () => {
  const file = (concurrency: string) => `
table: incident
rules:
  - id: restart
    description: Restart
    owner: Linux Ops
    risk: low
    concurrency: ${concurrency}
    steps:
      - { name: restart, use: fake.launch, with: { host: web-01 } }
`;
  const problems = (concurrency: string) =>
    validateMappingFile('incident.yaml', file(concurrency), catalog).problems.map((p) => `${p.line}: ${p.message}`);

  it('accepts a key templated from the ticket and a per-rule limit', () => {
    expect(problems('{ key: "ci:{{ ticket.cmdb_ci }}", max_runs: 3 }')).toEqual([]);
  });

  it('names the field and the reason when the key or limit is wrong', () => {
    expect(problems('{}')).toEqual(['8: rules.0.concurrency: give key, max_runs or both']);
    expect(problems('{ max_runs: 0 }')).toEqual([expect.stringMatching(/^8: rules\.0\.concurrency\.max_runs: .*>=1/)]);
    expect(problems('{ key: "{{ ticket.no_such_field }}" }')).toEqual([
      '8: rule restart: template: unknown field ticket.no_such_field on table incident',
    ]);
    expect(problems('{ key: "{{ steps.restart.job }}" }')).toEqual([
      '8: rule restart: concurrency.key is rendered when the run is created: it may read ticket, params, rule and command, not steps or run',
    ]);
    expect(problems('{ key: "x", limit: 2 }')).toEqual(['8: rules.0.concurrency: unknown key(s) limit']);
  });
});
