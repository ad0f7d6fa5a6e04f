import { encodeCursor } from './cursor';

/** Every list answer (SPEC §8): the page's items and the cursor of the next page, null on the last. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Repositories fetch `limit + 1` rows: the extra row only tells that another page exists, so the
 * last page has next_cursor null and never an empty page after it.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  key: (row: R) => readonly (string | number)[],
  item: (row: R) => T,
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return {
    items: kept.map(item),
    next_cursor: more ? encodeCursor(key(kept[kept.length - 1])) : null,
  };
}
