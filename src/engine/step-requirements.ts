import { explainQuery, parseEncodedQuery, termsOf, type FieldReader } from '../rules/encoded-query';
import type { StepRequirement } from '../rules/mapping.schema';
import { stepResult, type Step } from '../store/run.repository';

/**
 * Milestone checks (`requires:` on a step): evidence that must be there before the step starts —
 * an earlier step succeeded (and its result shows what it should), or the ticket, as ServiceNow
 * shows it at that moment, matches an encoded query. Pure: the step worker reads the ticket and
 * records each verdict (work note and audit journal); a check not met refuses the step.
 */
export interface RequirementVerdict {
  check: string;
  met: boolean;
  /** In words fit for a work note. */
  why: string;
}

export interface RequirementInput {
  steps: readonly Pick<Step, 'id' | 'name' | 'state' | 'result'>[];
  /** The ticket's fields read when the step is about to start (raw values); needed by `record` checks. */
  record?: Record<string, string>;
}

export function evaluateRequirements(
  requirements: readonly StepRequirement[],
  input: RequirementInput,
): RequirementVerdict[] {
  return requirements.map((requirement) => ({ check: requirement.check, ...verdictOf(requirement, input) }));
}

/** The ticket fields `record` checks read (so only those are fetched). */
export function recordFieldsOf(requirements: readonly StepRequirement[]): string[] {
  const fields = requirements.flatMap((r) =>
    r.record ? termsOf(parseEncodedQuery(r.record).query).map((t) => t.field) : [],
  );
  return [...new Set(fields)];
}

function verdictOf(requirement: StepRequirement, input: RequirementInput): { met: boolean; why: string } {
  if (requirement.record !== undefined) {
    if (!input.record) return { met: false, why: 'the ticket could not be read' };
    return matching(requirement.record, flatReader(input.record), 'the ticket');
  }
  const name = requirement.step ?? '';
  const step = input.steps.find((s) => s.name === name);
  if (!step) return { met: false, why: `this run has no step ${name}` };
  if (step.state !== 'succeeded')
    return {
      met: false,
      why: `step ${name} ${step.state === 'cancelled' ? 'did not run' : `is ${step.state}`}, not succeeded`,
    };
  if (requirement.result === undefined) return { met: true, why: `step ${name} succeeded` };
  const result = matching(
    requirement.result,
    flatReader(flatten(stepResult(step) ?? {})),
    `the result of step ${name}`,
  );
  return result.met ? { met: true, why: `step ${name} succeeded and ${result.why}` } : result;
}

/**
 * Strict matching: a term naming a field that is not there does not match (a check that cannot
 * be evaluated must not pass). Says which term failed and what the value was.
 */
function matching(query: string, reader: FieldReader, what: string): { met: boolean; why: string } {
  const parsed = parseEncodedQuery(query).query;
  const outcome = explainQuery(parsed, reader, { invalidTerms: 'no-match' });
  if (outcome.matched) return { met: true, why: `${what} matches ${query}` };
  const term = outcome.droppedTerms[0] ?? outcome.failedTerms[0];
  if (!term) return { met: false, why: `${what} does not match ${query}` };
  const value = reader.read(term.field);
  const actual = value === undefined ? `has no ${term.field}` : `has ${term.field} = ${JSON.stringify(value.value)}`;
  return { met: false, why: `${what} does not match ${term.raw} (${actual})` };
}

function flatReader(fields: Record<string, string>): FieldReader {
  return {
    read: (path) => (Object.prototype.hasOwnProperty.call(fields, path) ? { value: fields[path]! } : undefined),
  };
}

/** A step result as dotted field paths (`artifacts.scan_result`), values as text. */
function flatten(value: unknown, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>))
      flatten(inner, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into[prefix] = value === null || value === undefined ? '' : String(value);
  }
  return into;
}
