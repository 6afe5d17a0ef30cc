import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { z } from 'zod';
import { createMetrics } from '../../../src/observability/metrics';

/**
 * The shipped Prometheus rules (deploy/prometheus/): promtool is not at hand, so each expression is
 * parsed with Prometheus's own PromQL grammar (the one its web UI uses), and every metric it reads
 * must be one Snowline exports or one the files record.
 */

const DIR = join(__dirname, '..', '..', '..', 'deploy', 'prometheus');
const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/);
const ruleSchema = z.union([
  z.object({ record: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/), expr: z.string() }).strict(),
  z
    .object({
      alert: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/),
      expr: z.string(),
      for: duration.optional(),
      labels: z.object({ severity: z.enum(['page', 'ticket']) }).catchall(z.string()),
      annotations: z.object({ summary: z.string() }).catchall(z.string()),
    })
    .strict(),
]);
const fileSchema = z.object({
  groups: z.array(
    z.object({ name: z.string(), interval: duration.optional(), rules: z.array(ruleSchema).min(1) }).strict(),
  ),
});

/** Metric names an expression selects, or the syntax errors it has. */
function readExpression(expr: string): { metrics: string[]; errors: number } {
  const tree = parser.parse(expr);
  const metrics: string[] = [];
  let errors = 0;
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors += 1;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        metrics.push(expr.slice(node.from, node.to));
    },
  });
  return { metrics, errors };
}

async function exportedMetrics(): Promise<Set<string>> {
  const metrics = createMetrics();
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

describe('Prometheus rules shipped in deploy/prometheus', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  const parsed = files.map((file) => ({
    file,
    content: fileSchema.parse(parse(readFileSync(join(DIR, file), 'utf8'))),
  }));
  const rules = parsed.flatMap((p) => p.content.groups.flatMap((g) => g.rules.map((rule) => ({ file: p.file, rule }))));

  it('holds recording rules and alerts in the rule-file shape', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(rules.some(({ rule }) => 'record' in rule)).toBe(true);
    expect(rules.some(({ rule }) => 'alert' in rule)).toBe(true);
  });

  it('has expressions that parse as PromQL and read only metrics that exist', async () => {
    const known = await exportedMetrics();
    for (const { rule } of rules) if ('record' in rule) known.add(rule.record);
    const problems: string[] = [];
    for (const { file, rule } of rules) {
      const name = 'record' in rule ? rule.record : rule.alert;
      const { metrics, errors } = readExpression(rule.expr);
      if (errors > 0) problems.push(`${file} ${name}: PromQL syntax error`);
      if (metrics.length === 0) problems.push(`${file} ${name}: reads no metric`);
      for (const metric of metrics) if (!known.has(metric)) problems.push(`${file} ${name}: unknown metric ${metric}`);
    }
    expect(problems).toEqual([]);
  });

  it('would notice a misspelt metric or a broken expression', () => {
    expect(readExpression('rate(snowline_runs_finishd_total[5m])').metrics).toEqual(['snowline_runs_finishd_total']);
    expect(readExpression('sum by (rule (rate(x[5m])').errors).toBeGreaterThan(0);
  });
});
