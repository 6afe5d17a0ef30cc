import { deliveriesOf, groupByTicket, mergeablePrefix, mergedFields } from '../../../src/engine/writeback-groups';
import type { OutboxEntry } from '../../../src/store/outbox.repository';

let seq = 0;
function entry(sysId: string, fields: Record<string, string>, createdAt = 1000): OutboxEntry {
  seq++;
  return {
    id: `wb-${String(100 - seq).padStart(3, '0')}`, // ids sort against enqueue order: order must come from seq
    run_id: 'run-1',
    table_name: 'incident',
    sys_id: sysId,
    ticket_number: 'INC0010001',
    fields: JSON.stringify(fields),
    marker: `m${seq}`,
    state: 'pending',
    attempts: 0,
    next_at: createdAt,
    lease_owner: 'w1',
    lease_until: null,
    last_error: null,
    result_mod_count: null,
    created_at: createdAt,
    sent_at: null,
    attachment: null,
    operation: null,
    seq,
  };
}

describe('write-backs of one ticket as one PATCH', () => {
  it('groups by record, in enqueue order, even when queued in the same millisecond', () => {
    const [a1, b1, a2] = [entry('a', { state: '2' }), entry('b', { state: '6' }), entry('a', { work_notes: 'x' })];
    const groups = groupByTicket([a2!, b1!, a1!]);
    expect(groups.map((g) => [g.sysId, g.entries.map((e) => e.marker)])).toEqual([
      ['a', [a1!.marker, a2!.marker]],
      ['b', [b1!.marker]],
    ]);
  });

  it('merges fields, later ones winning, and joins work notes', () => {
    const merged = mergedFields([
      entry('a', { state: '6', work_notes: 'first' }),
      entry('a', { close_code: 'Solution provided', work_notes: 'second' }),
    ]);
    expect(merged).toEqual({ state: '6', close_code: 'Solution provided', work_notes: 'first\n\nsecond' });
  });

  it('stops a PATCH before an entry that sets a field already set to another value', () => {
    const entries = [entry('a', { state: '2' }), entry('a', { work_notes: 'n' }), entry('a', { state: '6' })];
    const [now, later] = mergeablePrefix(entries);
    expect(now).toEqual(entries.slice(0, 2));
    expect(later).toEqual(entries.slice(2));
    expect(mergeablePrefix([entry('a', { state: '6' }), entry('a', { state: '6' })])[1]).toEqual([]);
  });

  it("cuts deliveries at about the size asked, never splitting a ticket's entries", () => {
    const entries = [entry('a', {}), entry('a', {}), entry('b', {}), entry('c', {}), entry('c', {}), entry('c', {})];
    expect(deliveriesOf(entries, 3).map((d) => d.map((e) => e.sys_id).join(''))).toEqual(['aab', 'ccc']);
  });
});
