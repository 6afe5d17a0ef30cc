import { readResponsePath } from '../../../../connectors/http/response-path';

describe('readResponsePath', () => {
  const body = { data: { items: [{ id: 'a' }, { id: 'b', 'x-y': 1 }] }, 'with space': { v: true } };
  it.each([
    ['data.items[1].id', 'b'],
    ['$.data.items[0].id', 'a'],
    ['data.items[1].x-y', 1],
    ['["with space"].v', true],
    ['data.items[5].id', undefined],
    ['data.nope', undefined],
    ['data.items.id', undefined],
    ['constructor', undefined],
  ])('%s', (expr, expected) => {
    expect(readResponsePath(body, expr)).toEqual(expected);
  });
  it('refuses malformed paths with the position', () => {
    expect(() => readResponsePath(body, 'data..x')).toThrow(/unexpected "\.\.x" at 4/);
  });
});
