import { decodeTime } from 'ulid';
import { newEventId } from './event-id';

describe('newEventId', () => {
  it('gives distinct, ordered ULIDs of the current time, also many within one millisecond', () => {
    const before = Date.now();
    const ids = Array.from({ length: 10_000 }, () => newEventId());
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of [ids[0], ids[ids.length - 1]]) {
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(decodeTime(id)).toBeGreaterThanOrEqual(before);
      expect(decodeTime(id)).toBeLessThanOrEqual(after);
    }
  });
});
