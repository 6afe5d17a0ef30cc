import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';

/**
 * Renders deploy/helm/snowline the way `helm template` would, for the subset of Go templates the
 * chart uses: `.Values/.Release/.Chart` paths, `$` and range variables, `if`/`if not`, `range $k, $v
 * := map` (keys sorted, as Go does), and the functions quote, toYaml, nindent. Anything else throws,
 * so the chart cannot grow a construct this test would silently mis-render. The helm binary cannot
 * be installed on these machines (docs/operations.md says what was run where).
 */
type Scope = Record<string, unknown>;
type Node = { text: string } | { action: string; children?: Node[] };

export function renderChart(chartDir: string, values: Scope = {}, release = 'snowline'): unknown[] {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Scope;
  const root: Scope = {
    Values: deepMerge(defaults, values),
    Release: { Name: release, Namespace: 'default' },
    Chart: { Name: chart.name, AppVersion: chart.appVersion, Version: chart.version },
  };
  return readdirSync(join(chartDir, 'templates'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) => {
      const text = render(readFileSync(join(chartDir, 'templates', file), 'utf8'), root);
      return parseAllDocuments(text)
        .map((doc) => {
          if (doc.errors.length > 0) throw new Error(`${file}: rendered YAML is invalid: ${doc.errors[0]!.message}`);
          return doc.toJS() as unknown;
        })
        .filter((doc) => doc !== null);
    });
}

export function render(template: string, root: Scope): string {
  const trimmed = template.replace(/\s*\{\{-\s*/g, '{{ ').replace(/\s*-\}\}\s*/g, ' }}');
  const parts = trimmed.split(/(\{\{.*?\}\})/s);
  const stack: Node[][] = [[]];
  for (const part of parts) {
    const action = /^\{\{\s*(.*?)\s*\}\}$/s.exec(part)?.[1];
    if (action === undefined) stack[stack.length - 1]!.push({ text: part });
    else if (action === 'end') stack.pop();
    else if (/^(if|range) /.test(action)) {
      const node = { action, children: [] as Node[] };
      stack[stack.length - 1]!.push(node);
      stack.push(node.children);
    } else stack[stack.length - 1]!.push({ action });
  }
  return renderNodes(stack[0]!, { $: root, '.': root });
}

function renderNodes(nodes: Node[], vars: Scope): string {
  return nodes.map((node) => renderNode(node, vars)).join('');
}

function renderNode(node: Node, vars: Scope): string {
  if ('text' in node) return node.text;
  const { action, children = [] } = node;
  const ifMatch = /^if (not )?(.+)$/.exec(action);
  if (ifMatch) return Boolean(evaluate(ifMatch[2]!, vars)) !== Boolean(ifMatch[1]) ? renderNodes(children, vars) : '';
  const range = /^range \$(\w+), \$(\w+) := (.+)$/.exec(action);
  if (range) {
    const map = (evaluate(range[3]!, vars) ?? {}) as Scope;
    return Object.keys(map)
      .sort()
      .map((key) => renderNodes(children, { ...vars, [`$${range[1]}`]: key, [`$${range[2]}`]: map[key] }))
      .join('');
  }
  return String(evaluate(action, vars) ?? '');
}

function evaluate(pipeline: string, vars: Scope): unknown {
  const [first, ...functions] = pipeline.split('|').map((s) => s.trim());
  let value = operand(first!, vars);
  for (const fn of functions) {
    const [name, ...args] = fn.split(/\s+/);
    if (name === 'quote') value = JSON.stringify(value === undefined ? '' : String(value));
    else if (name === 'nindent') value = `\n${indent(String(value), Number(args[0]))}`;
    else throw new Error(`unsupported template function: ${fn}`);
  }
  return value;
}

function operand(text: string, vars: Scope): unknown {
  const toYaml = /^toYaml (.+)$/.exec(text);
  if (toYaml) return stringify(operand(toYaml[1]!, vars)).trimEnd();
  if (/^"[^"]*"$/.test(text)) return text.slice(1, -1);
  const path = /^(\$\w*|)(\.[A-Za-z0-9_.]+)?$/.exec(text);
  if (!path) throw new Error(`unsupported template expression: ${text}`);
  const start = path[1] ? vars[path[1]] : vars['.'];
  return (path[2] ?? '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Scope)[key] : undefined), start);
}

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((line) => (line ? ' '.repeat(spaces) + line : line))
    .join('\n');
}

function deepMerge(base: Scope, over: Scope): Scope {
  const out: Scope = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prior && typeof prior === 'object'
        ? deepMerge(prior as Scope, value as Scope)
        : value;
  }
  return out;
}
