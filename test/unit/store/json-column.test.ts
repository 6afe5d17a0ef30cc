import { CorruptRowError, nameListSchema, parseJsonColumn } from '../../../src/store/json-column';

const where = { table: 'steps', column: 'gates', id: 'step-1' };

describe('a JSON column read from the store', () => {
  it('is the parsed value when it fits its schema', () => {
    expect(parseJsonColumn(nameListSchema, where, '["approval"]')).toEqual(['approval']);
  });

  it('is a permanent CorruptRowError naming table, column and row when it is not JSON', () => {
    const read = () => parseJsonColumn(nameListSchema, where, '["approval"');
    expect(read).toThrow(CorruptRowError);
    expect(read).toThrow(/^steps\.gates of steps row step-1 is corrupt: not JSON/);
    expect(() => read()).toThrow(expect.objectContaining({ code: 'store.corrupt_row', retryable: false }));
  });

  it('says where a value does not fit its schema', () => {
    expect(() => parseJsonColumn(nameListSchema, where, '["approval", 7]')).toThrow(
      /^steps\.gates of steps row step-1 is corrupt: 1: /,
    );
  });
});
