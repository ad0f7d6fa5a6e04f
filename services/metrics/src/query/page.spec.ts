import { decodeCursor } from './cursor';
import { toPage } from './page';
import { ratio } from './sql';
import { z } from 'zod';

describe('toPage', () => {
  const rows = [{ k: 'a' }, { k: 'b' }, { k: 'c' }];
  it('a full page plus one row has a cursor at its last item', () => {
    const page = toPage(
      rows,
      2,
      (r) => [r.k],
      (r) => r.k,
    );
    expect(page.items).toEqual(['a', 'b']);
    expect(decodeCursor(page.next_cursor!, z.tuple([z.string()]))).toEqual(['b']);
  });

  it('the last page has next_cursor null, also when exactly full', () => {
    expect(
      toPage(
        rows,
        3,
        (r) => [r.k],
        (r) => r.k,
      ),
    ).toEqual({ items: ['a', 'b', 'c'], next_cursor: null });
    expect(
      toPage(
        [],
        3,
        (r: { k: string }) => [r.k],
        (r) => r,
      ),
    ).toEqual({ items: [], next_cursor: null });
  });
});

describe('ratio', () => {
  it('is 0, never NaN or Infinity, without a denominator', () => {
    expect(ratio(0, 0)).toBe(0);
    expect(ratio(3, 0)).toBe(0);
    expect(ratio(1, 4)).toBe(0.25);
  });
});
