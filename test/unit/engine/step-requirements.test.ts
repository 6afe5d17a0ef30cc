import { evaluateRequirements, recordFieldsOf } from '../../../src/engine/step-requirements';

const steps = [
  {
    id: 'step-scan',
    name: 'scan',
    state: 'succeeded',
    result: JSON.stringify({ job_id: 4, artifacts: { scan_result: 'failed', findings: 3 } }),
  },
  { id: 'step-smoke', name: 'smoke_test', state: 'skipped', result: null },
];

describe('milestone checks before a step', () => {
  it('are met when the earlier step succeeded and its result matches', () => {
    expect(
      evaluateRequirements(
        [
          { check: 'scan ran', step: 'scan' },
          { check: 'few findings', step: 'scan', result: 'artifacts.findings<5' },
        ],
        { steps },
      ),
    ).toEqual([
      { check: 'scan ran', met: true, why: 'step scan succeeded' },
      {
        check: 'few findings',
        met: true,
        why: 'step scan succeeded and the result of step scan matches artifacts.findings<5',
      },
    ]);
  });

  it('say which term failed and what the value was', () => {
    expect(
      evaluateRequirements([{ check: 'scan passed', step: 'scan', result: 'job_id=4^artifacts.scan_result=passed' }], {
        steps,
      }),
    ).toEqual([
      {
        check: 'scan passed',
        met: false,
        why: 'the result of step scan does not match artifacts.scan_result=passed (has artifacts.scan_result = "failed")',
      },
    ]);
  });

  it('are not met by a step that did not succeed, or by a field that is not there', () => {
    const [skipped, absent] = evaluateRequirements(
      [
        { check: 'smoke test', step: 'smoke_test' },
        { check: 'signed', step: 'scan', result: 'artifacts.signature=ok' },
      ],
      { steps },
    );
    expect(skipped).toEqual({ check: 'smoke test', met: false, why: 'step smoke_test is skipped, not succeeded' });
    expect(absent).toEqual({
      check: 'signed',
      met: false,
      why: 'the result of step scan does not match artifacts.signature=ok (has no artifacts.signature)',
    });
  });

  it('read the ticket as ServiceNow shows it for record checks, and only the fields they name', () => {
    const requires = [{ check: 'CAB reviewed', record: 'cab_required=true^test_planISNOTEMPTY' }];
    expect(recordFieldsOf(requires)).toEqual(['cab_required', 'test_plan']);
    expect(
      evaluateRequirements(requires, { steps, record: { cab_required: 'true', test_plan: 'Run the smoke tests' } })[0]!
        .met,
    ).toBe(true);
    expect(evaluateRequirements(requires, { steps, record: { cab_required: 'true', test_plan: '' } })[0]).toEqual({
      check: 'CAB reviewed',
      met: false,
      why: 'the ticket does not match test_planISNOTEMPTY (has test_plan = "")',
    });
    expect(evaluateRequirements(requires, { steps })[0]).toEqual({
      check: 'CAB reviewed',
      met: false,
      why: 'the ticket could not be read',
    });
  });
});
