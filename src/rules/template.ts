import { Drop, Liquid, type Template } from 'liquidjs';
import { RE2 } from 're2-wasm';
import { boundedCache } from '../bounded-cache';
import { SnowlineError } from '../errors';
import type { TemplateValue } from './mapping.schema';

/**
 * Limits of one template: characters parsed, ms rendering, and Liquid's allocation units. The render
 * limit is wall-clock time: it must leave room for a garbage-collection pause or a busy host (a
 * shipped template that took 50 ms there failed its run), while still stopping a runaway loop.
 */
export const TEMPLATE_LIMITS = { parseChars: 100_000, renderMs: 1000, memoryUnits: 10_000_000 } as const;

/**
 * Parameters and write-backs are Liquid templates written by ops teams. Liquid cannot run code:
 * it has no eval, no function calls and (configured here) no file includes. Ticket text only ever
 * arrives as *data* in the render scope, so `{{ lookup('pipe','id') }}` typed into a ticket is
 * printed as-is, never evaluated.
 */
const engine = new Liquid({
  strictVariables: true,
  strictFilters: true,
  // `default` and `if` may test a value that is absent (an optional command argument); anything else stays strict.
  lenientIf: true,
  ownPropertyOnly: true,
  // An empty in-memory template map: `{% include %}` / `{% render %}` can never read a file.
  templates: {},
  cache: 500,
  // An editor's template must not stall the process: a template longer than this is not parsed, a
  // render that runs longer (a loop over a huge range) or allocates more is aborted with an error.
  parseLimit: TEMPLATE_LIMITS.parseChars,
  renderLimit: TEMPLATE_LIMITS.renderMs,
  memoryLimit: TEMPLATE_LIMITS.memoryUnits,
});

/**
 * Regular expressions in rules run on RE2 (linear time in the text, whatever the pattern), so no
 * pattern can backtrack for seconds on a crafted ticket. Patterns RE2 does not support
 * (backreferences, lookaround) are refused at validation. Compiled patterns are kept.
 */
const compiledPattern = boundedCache(500, (pattern: string): RE2 => new RE2(pattern, 'u'));

/** Why a pattern cannot be used in a rule, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compiledPattern(pattern);
    return undefined;
  } catch (err) {
    return `pattern ${JSON.stringify(pattern.slice(0, 80))} is not a linear-time (RE2) regular expression: ${(err as Error).message}`;
  }
}

/** First capture group of a regex applied to the text, or '' when it does not match. */
engine.registerFilter('capture', (text: unknown, pattern: unknown, group = 1) => {
  const problem = patternProblem(String(pattern));
  if (problem) throw new SnowlineError('template.bad_pattern', problem);
  const match = compiledPattern(String(pattern)).exec(String(text ?? '').slice(0, 10000));
  return match?.[Number(group)] ?? '';
});
engine.registerFilter('lower', (text: unknown) => String(text ?? '').toLowerCase());
engine.registerFilter('upper', (text: unknown) => String(text ?? '').toUpperCase());
engine.registerFilter('json', (value: unknown) => JSON.stringify(value ?? null));
// Liquid's own url_encode writes a space as `+`, which only a query string reads back as a space: in
// a URL path it stays a plus. Percent-encoding every reserved byte is right in both places.
engine.registerFilter('url_encode', (text: unknown) => encodeURIComponent(String(text ?? '')));

export type TemplateScope = Record<string, unknown>;

/**
 * Templates parsed once: a rule's few templates are rendered for every run, and parsing cost
 * more than rendering. Bounded (least recently used dropped) since templates change with reloads.
 */
const parsed = boundedCache(2000, (template: string): Template[] => engine.parse(template));

/** A scope object whose every field renders as the given text (a credential not at hand, say). */
export function placeholderFields(text: (field: string) => string): Drop {
  return new (class extends Drop {
    override liquidMethodMissing(field: string | number): string {
      return text(String(field));
    }
  })();
}

/** Renders one template string. Throws `template.render_failed` naming the problem. */
export function renderString(template: string, scope: TemplateScope): string {
  if (!template.includes('{{') && !template.includes('{%')) return template;
  try {
    return engine.renderSync(parsed(template), scope) as string;
  } catch (err) {
    throw new SnowlineError(
      'template.render_failed',
      `template ${JSON.stringify(template.slice(0, 120))} failed: ${(err as Error).message.split(', line:')[0]}`,
      { cause: err },
    );
  }
}

/** A template that is one output and nothing else: `{{ params.paths }}`. */
const WHOLE_OUTPUT = /^\{\{-?\s*([^{}]+?)\s*-?\}\}$/;

/**
 * A list read whole (`paths: "{{ params.paths }}"`) stays a list: printed, Liquid would join
 * `[/var, /tmp]` into the string `/var/tmp`. Anything else renders as text.
 */
function renderList(template: string, scope: TemplateScope): TemplateValue[] | undefined {
  const expression = WHOLE_OUTPUT.exec(template)?.[1];
  if (!expression) return undefined;
  try {
    const value: unknown = engine.evalValueSync(expression, scope);
    return Array.isArray(value) ? (value as TemplateValue[]) : undefined;
  } catch {
    return undefined; // renderString reports the problem in its own words
  }
}

/**
 * Renders every string inside a structure of templates; numbers, booleans and null pass through,
 * and a template that reads a list whole gives that list.
 */
export function renderValue(value: TemplateValue, scope: TemplateScope): TemplateValue {
  if (typeof value === 'string') return renderList(value, scope) ?? renderString(value, scope);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, scope)]));
  }
  return value;
}

/** Checks a template's syntax and its `capture` patterns without rendering it; returns the problem or undefined. */
export function templateSyntaxProblem(template: string): string | undefined {
  try {
    engine.parse(template);
  } catch (err) {
    return (err as Error).message.split(', line:')[0];
  }
  return capturePatternProblem(template);
}

/** `capture` takes a pattern written in the rule (a quoted literal), which must be linear-time. */
function capturePatternProblem(template: string): string | undefined {
  for (const use of template.matchAll(/\|\s*capture\s*:\s*([^|}%]*)/g)) {
    const literal = /^\s*(?:'([^']*)'|"([^"]*)")/.exec(use[1]!);
    if (!literal) return 'capture takes its pattern as a quoted literal, not a variable';
    const problem = patternProblem(literal[1] ?? literal[2]!);
    if (problem) return problem;
  }
  return undefined;
}

/** The variable paths a template reads (`ticket.short_description`, `params.host`). */
export function variablesOf(template: string): string[] {
  try {
    return engine.globalFullVariablesSync(template);
  } catch {
    return [];
  }
}
