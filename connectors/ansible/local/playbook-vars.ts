import { Document, Scalar, visit } from 'yaml';
import type { VarSpec } from './schemas';

/**
 * The problems with the variables a step passes to a playbook, one line per problem naming the
 * variable: names not declared by the playbook entry, values of the wrong type, strings over their
 * cap or outside their pattern/enum, missing required variables. Empty when all is well.
 */
export function playbookVarsProblems(vars: Record<string, unknown>, specs: Record<string, VarSpec>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    const spec = specs[name];
    if (!spec) {
      problems.push(
        `vars.${name.slice(0, 60)}: not a variable this playbook accepts (allowed: ${Object.keys(specs).join(', ') || 'none'})`,
      );
      continue;
    }
    const problem = valueProblem(value, spec);
    if (problem) problems.push(`vars.${name}: ${problem}`);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && vars[name] === undefined) problems.push(`vars.${name}: required`);
  }
  return problems;
}

function valueProblem(value: unknown, spec: VarSpec): string | undefined {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return `must be a string, not ${describe(value)}`;
      return stringProblem(value, spec.maxLength, spec.pattern, spec.enum);
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return `must be an integer, not ${describe(value)}`;
      if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}`;
      if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, not ${describe(value)}`;
    case 'string_list': {
      if (!Array.isArray(value)) return `must be a list of strings, not ${describe(value)}`;
      if (value.length > spec.maxItems) return `has ${value.length} items, more than ${spec.maxItems}`;
      for (const [i, item] of value.entries()) {
        if (typeof item !== 'string') return `[${i}] must be a string, not ${describe(item)}`;
        const problem = stringProblem(item, spec.maxLength);
        if (problem) return `[${i}] ${problem}`;
      }
      return undefined;
    }
  }
}

/** Half of a UTF-16 pair without its other half: no UTF-8 encoding exists for it, so no vars file can hold it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(value: string, maxLength: number, pattern?: string, allowed?: string[]): string | undefined {
  if (value.length > maxLength) return `is ${value.length} characters, more than ${maxLength}`;
  if (value.includes('\0')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(value)) return 'is not well-formed Unicode (it has a lone surrogate)';
  if (pattern !== undefined && !new RegExp(`^(?:${pattern})$`, 'u').test(value)) return `does not match ${pattern}`;
  if (allowed && !allowed.includes(value)) return `must be one of ${allowed.join(', ')}`;
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value;
}

/**
 * The extra-vars file for `ansible-playbook -e @file`: YAML in which every string value carries
 * Ansible's `!unsafe` tag. Ansible templates variables from extra-vars files (JSON ones too), so
 * `{{ lookup('pipe', …) }}` in a plain value would run on the controller host; an `!unsafe`
 * string is never templated, however the playbook uses it. Keys are variable names checked
 * beforehand and are not tagged.
 */
export function unsafeVarsYaml(vars: Record<string, unknown>): string {
  const doc = new Document(vars);
  visit(doc, {
    Scalar(key, node: Scalar) {
      if (key !== 'key' && typeof node.value === 'string') {
        node.tag = '!unsafe';
        // Double quotes carry any text (line breaks, quotes, leading spaces) as one escaped scalar.
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  // Ansible's YAML reader refuses raw characters outside YAML's printable set (DEL, C1 controls,
  // U+FFFE/U+FFFF) and folds raw line breaks (CR, NEL, U+2028/9) inside a scalar; within the
  // double-quoted scalars all of them are written as escapes instead, which read back exactly.
  return doc
    .toString({ lineWidth: 0 })
    .replace(NOT_YAML_PRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Outside YAML 1.1's printable set, or a line break other than LF (which only separates lines of the file). */
const NOT_YAML_PRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/g;
