import { evaluateChangeGates, type GateInput } from '../../../src/change/change-gates';
import { formatDateTime } from '../../../src/rules/encoded-query/date-time';

// States and approval values: https://www.servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html; schedules and conflicts https://www.servicenow.com/docs/r/it-service-management/change-management/c_ConflictDetection.html.
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;
const at = (offsetMin: number) => formatDateTime(NOW + offsetMin * MIN);

function input(change: Partial<GateInput['change']> = {}, rest: Partial<GateInput> = {}): GateInput {
  return {
    change: {
      number: 'CHG0030001',
      type: 'normal',
      state: '-2',
      approval: 'approved',
      start_date: at(-1),
      end_date: at(60),
      requested_by: 'req1',
      cmdb_ci: 'ci1',
      ...change,
    },
    approvals: [{ approver: 'cab1', state: 'approved' }],
    freezes: [],
    running: [],
    approvalPolicy: 'required',
    phase: 'start',
    approvedBefore: false,
    nowMs: NOW,
    recheckMs: 3000,
    ...rest,
  };
}

describe('change gates', () => {
  it('passes an approved, Scheduled normal change inside its window', () => {
    expect(evaluateChangeGates(input())).toEqual({ kind: 'pass', approved: true, marks: [] });
  });

  it('waits (rechecking) for a change still in Authorize with approval requested', () => {
    const verdict = evaluateChangeGates(input({ state: '-3', approval: 'requested' }));
    expect(verdict).toMatchObject({ kind: 'wait', untilMs: NOW + 3000, approved: false });
    expect(verdict.kind === 'wait' && verdict.reason).toContain(
      'waiting for approval (state Authorize, approval requested)',
    );
  });

  it('does not accept approved while the state is still Authorize', () => {
    expect(evaluateChangeGates(input({ state: '-3', approval: 'approved' })).kind).toBe('wait');
  });

  it('refuses a rejected approval, on the change or on an approval record', () => {
    expect(evaluateChangeGates(input({ state: '-5', approval: 'rejected' }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('rejected'),
    });
    expect(evaluateChangeGates(input({}, { approvals: [{ approver: 'cab1', state: 'rejected' }] })).kind).toBe(
      'refuse',
    );
  });

  it('stops a waiting run whose approval was withdrawn after it had been cleared', () => {
    const verdict = evaluateChangeGates(input({ state: '-3', approval: 'requested' }, { approvedBefore: true }));
    expect(verdict).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('no longer approved') });
  });

  it('waits with a durable timer for the planned start of an approved change', () => {
    const verdict = evaluateChangeGates(input({ start_date: at(30) }));
    expect(verdict).toMatchObject({ kind: 'wait', untilMs: NOW + 30 * MIN, approved: true });
  });

  it('refuses after the end of the window, before the first step and before a later one', () => {
    const ended = { start_date: at(-120), end_date: at(-60) };
    expect(evaluateChangeGates(input(ended))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('not starting the implementation'),
    });
    expect(evaluateChangeGates(input({ ...ended, state: '-1' }, { phase: 'next_step' }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('not starting another step'),
    });
  });

  it('refuses an expired window even before approval, so nobody waits for nothing', () => {
    expect(
      evaluateChangeGates(input({ state: '-3', approval: 'requested', start_date: at(-120), end_date: at(-60) })).kind,
    ).toBe('refuse');
  });

  it('requires a planned window on normal changes, not on standard or emergency ones', () => {
    expect(evaluateChangeGates(input({ start_date: '', end_date: '' })).kind).toBe('refuse');
    expect(evaluateChangeGates(input({ type: 'emergency', start_date: '', end_date: '' })).kind).toBe('pass');
  });

  it('treats a standard change raised from a template as pre-approved by it, and still holds it to window and freeze', () => {
    const fromTemplate = {
      type: 'standard',
      approval: 'not requested',
      state: '-2',
      template_name: 'Restart a service on a Linux server - v1',
    };
    const none = { approvals: [], approvalPolicy: 'required' as const };
    expect(evaluateChangeGates(input(fromTemplate, none))).toEqual({
      kind: 'pass',
      approved: true,
      marks: ['standard change pre-approved by template "Restart a service on a Linux server - v1"'],
    });
    expect(evaluateChangeGates(input({ ...fromTemplate, start_date: at(10) }, none))).toMatchObject({
      kind: 'wait',
      untilMs: NOW + 10 * MIN,
    });
    const freeze = { name: 'quarter end', startMs: NOW - MIN, endMs: NOW + 30 * MIN };
    expect(evaluateChangeGates(input(fromTemplate, { ...none, freezes: [freeze] }))).toMatchObject({
      kind: 'wait',
      untilMs: NOW + 30 * MIN,
    });
    expect(evaluateChangeGates(input({ ...fromTemplate, end_date: at(-1), start_date: at(-30) }, none)).kind).toBe(
      'refuse',
    );
    // A rejected approval still wins over the template.
    expect(evaluateChangeGates(input({ ...fromTemplate, approval: 'rejected' }, none)).kind).toBe('refuse');
  });

  it('lets a standard change run without approval only when the rule says so', () => {
    const standard = { type: 'standard', approval: 'not requested', state: '-2' };
    expect(evaluateChangeGates(input(standard, { approvalPolicy: 'not_required' })).kind).toBe('pass');
    expect(evaluateChangeGates(input(standard, { approvalPolicy: 'required' })).kind).toBe('wait');
  });

  it('refuses when the requester is also an approver (segregation of duties)', () => {
    const verdict = evaluateChangeGates(input({ requested_by: 'cab1' }));
    expect(verdict).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('segregation of duties') });
  });

  it('ignores a cancelled approval record of the requester', () => {
    expect(
      evaluateChangeGates(
        input(
          { requested_by: 'cab1' },
          {
            approvals: [
              { approver: 'cab1', state: 'cancelled' },
              { approver: 'cab2', state: 'approved' },
            ],
          },
        ),
      ).kind,
    ).toBe('pass');
  });

  describe('freezes', () => {
    const freeze = (startMin: number, endMin: number) => [
      { name: 'Year-end', startMs: NOW + startMin * MIN, endMs: NOW + endMin * MIN },
    ];

    it('refuses a normal change when the freeze outlasts its window', () => {
      expect(evaluateChangeGates(input({}, { freezes: freeze(-10, 120) }))).toMatchObject({
        kind: 'refuse',
        reason: expect.stringContaining('Year-end'),
      });
    });

    it('makes a normal change wait for a freeze that ends inside its window', () => {
      expect(evaluateChangeGates(input({}, { freezes: freeze(-10, 20) }))).toMatchObject({
        kind: 'wait',
        untilMs: NOW + 20 * MIN,
      });
    });

    it('lets an emergency change pass and marks it for the audit', () => {
      const verdict = evaluateChangeGates(input({ type: 'emergency' }, { freezes: freeze(-10, 120) }));
      expect(verdict.kind).toBe('pass');
      expect(verdict.kind === 'pass' && verdict.marks[0]).toContain('emergency change passed freeze "Year-end"');
    });

    it('ignores a freeze that is over', () => {
      expect(evaluateChangeGates(input({}, { freezes: freeze(-60, -30) })).kind).toBe('pass');
    });
  });

  describe('conflicts (servicenow-behaviour §3.7)', () => {
    const other = (cmdbCi: string, startMin: number, endMin: number) => [
      { number: 'CHG0030009', cmdbCi, start_date: at(startMin), end_date: at(endMin) },
    ];

    it('waits while another change runs on the same CI in an overlapping window', () => {
      const verdict = evaluateChangeGates(input({}, { running: other('ci1', 0, 30) }));
      expect(verdict).toMatchObject({
        kind: 'wait',
        untilMs: NOW + 3000,
        reason: expect.stringContaining('CHG0030009'),
      });
    });

    it('runs beside a change on another CI or in a separate window', () => {
      expect(evaluateChangeGates(input({}, { running: other('ci2', 0, 30) })).kind).toBe('pass');
      expect(evaluateChangeGates(input({}, { running: other('ci1', 90, 120) })).kind).toBe('pass');
    });
  });

  it('refuses a next step once the change has left Implement', () => {
    expect(evaluateChangeGates(input({ state: '-1' }, { phase: 'next_step' })).kind).toBe('pass');
    expect(evaluateChangeGates(input({ state: '-2' }, { phase: 'next_step' })).kind).toBe('refuse');
  });

  it('never implements a change in Review, Closed or Canceled', () => {
    for (const state of ['0', '3', '4']) expect(evaluateChangeGates(input({ state })).kind).toBe('refuse');
  });

  it('says which date is malformed', () => {
    expect(evaluateChangeGates(input({ start_date: '2026-06-32 00:00:00' }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('start_date "2026-06-32 00:00:00"'),
    });
  });
});
