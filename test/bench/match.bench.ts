import { connectors } from '../../connectors/registry';
import { mappingCatalog } from '../../src/rules/catalog';
import { buildRuleSet } from '../../src/rules/build-rule-set';
import { matchEvent, type MatchInput } from '../../src/rules/matcher';

/**
 * Median time to match one event against N incident rules, through the compiled, indexed rule set
 * the dispatcher uses. The rules look like real ones: most key on an assignment group or a
 * category (equality terms the index uses) besides `active=true`, which every rule of a kind shares,
 * add a LIKE on the description; 1 % key only on `active=true` (always evaluated); triggers mix
 * inserts, updates and field changes.
 */
export function rulesYaml(count: number): string {
  const lines = ['table: incident', 'rules:'];
  for (let i = 0; i < count; i++) {
    const condition =
      i % 100 === 0
        ? `active=true^short_descriptionLIKEservice-${i} is down^priority<=2`
        : i % 5 === 1
          ? `active=true^category=cat-${i % 200}^short_descriptionLIKEdisk full on host-${i}`
          : `assignment_group=${(i % 1000).toString(16).padStart(32, '0')}^active=true^stateIN1,2^short_descriptionLIKEerror ${i}`;
    const on = i % 3 === 0 ? '[inserted]' : i % 3 === 1 ? '[inserted, updated]' : '[{ changes: [priority] }]';
    lines.push(
      `  - id: rule-${i}`,
      `    description: generated rule ${i}`,
      '    owner: Bench',
      '    risk: low',
      `    priority: ${i % 100}`,
      `    on: ${on}`,
      `    condition: "${condition}"`,
      '    steps:',
      '      - name: note',
      '        use: servicenow.add_work_note',
      '        with: { table: incident, sys_id: "{{ ticket.sys_id }}", text: matched }',
    );
  }
  return `${lines.join('\n')}\n`;
}

function events(count: number): MatchInput[] {
  return Array.from({ length: count }, (_, n) => ({
    table: 'incident',
    trigger: n % 2 ? 'updated' : 'inserted',
    changedFields: n % 4 === 1 ? ['priority'] : [],
    record: {
      sys_id: n.toString(16).padStart(32, '0'),
      active: 'true',
      state: String(1 + (n % 3)),
      priority: String(1 + (n % 5)),
      category: `cat-${n % 250}`,
      assignment_group: (n % 1200).toString(16).padStart(32, '0'),
      short_description: n % 7 ? `error ${n % 1000} in checkout` : `service-${n % 50} is down`,
    },
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function benchMatch(
  sizes: readonly number[] = [10, 1000, 10000],
  samples = Number(process.env.BENCH_MATCH_SAMPLES ?? 20000),
): { rules: number; medianUs: number; p99Us: number; matchedPerEvent: number }[] {
  const catalog = mappingCatalog(connectors);
  return sizes.map((size) => {
    const { ruleSet, problems } = buildRuleSet({ 'incident.yaml': rulesYaml(size) }, catalog);
    if (!ruleSet)
      throw new Error(
        `bench rules invalid: ${problems
          .slice(0, 3)
          .map((p) => p.message)
          .join('; ')}`,
      );
    const inputs = events(2000);
    for (let i = 0; i < 5000; i++) matchEvent(ruleSet, inputs[i % inputs.length]!); // warm-up (JIT)
    const times: number[] = [];
    let matched = 0;
    for (let i = 0; i < samples; i++) {
      const input = inputs[i % inputs.length]!;
      const start = process.hrtime.bigint();
      const result = matchEvent(ruleSet, input);
      times.push(Number(process.hrtime.bigint() - start) / 1000);
      matched += result.matched.length;
    }
    times.sort((a, b) => a - b);
    return {
      rules: size,
      medianUs: median(times),
      p99Us: times[Math.floor(times.length * 0.99)]!,
      matchedPerEvent: matched / samples,
    };
  });
}
