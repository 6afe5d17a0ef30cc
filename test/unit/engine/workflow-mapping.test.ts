import { ruleSchema } from '../../../src/rules/mapping.schema';

const rule = (steps: unknown[]) => ({ id: 'r', description: 'd', owner: 'o', risk: 'low', steps });
const problems = (steps: unknown[]) => {
  const parsed = ruleSchema.safeParse(rule(steps));
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const step = (name: string, extra: Record<string, unknown> = {}) => ({ name, use: 'fake.launch', ...extra });

describe('workflow fields in mapping rules', () => {
  it('accepts adjacent parallel branches with one join, when:, timeout and compensation', () => {
    expect(
      problems([
        step('a', { parallel: 'g', join: 'first', compensate: { use: 'fake.undo' } }),
        step('b', { parallel: 'g', when: "ticket.priority == '1'", timeout_seconds: 60 }),
        step('c'),
      ]),
    ).toEqual([]);
  });

  it('names the step and field of a misplaced parallel group or join', () => {
    expect(problems([step('a', { parallel: 'g' }), step('b'), step('c', { parallel: 'g' })])).toEqual([
      'steps.2.parallel: steps of parallel group g must be adjacent',
    ]);
    expect(problems([step('a', { join: 'all' })])).toEqual(['steps.0.join: join needs a parallel group']);
    expect(problems([step('a', { parallel: 'g', join: 3 }), step('b', { parallel: 'g' })])).toEqual([
      'steps.0.join: join 3 exceeds the 2 branches of g',
    ]);
    expect(
      problems([step('a', { parallel: 'g', join: 'first' }), step('b', { parallel: 'g', join: 'all' })]),
    ).toContain('steps.0.join: parallel group g has different joins');
  });

  it('refuses an escalation priority ServiceNow does not have', () => {
    expect(ruleSchema.safeParse({ ...rule([step('a')]), escalation: { priority: '0' } }).success).toBe(false);
  });
});
