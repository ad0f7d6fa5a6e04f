import { z } from 'zod';
import { cursorTimestamp, decodeCursor, encodeCursor } from './cursor';

const schema = z.tuple([cursorTimestamp, z.string()]);

describe('keyset cursors', () => {
  it('round-trips a sort key through opaque base64url', () => {
    const key = ['2024-01-01T10:00:00.123456Z', 'session-1'] as const;
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, schema)).toEqual(key);
  });

  it('keeps unicode and quotes of ids intact', () => {
    const key = ['2024-01-01T10:00:00.000000Z', `o'brien "ü" 🛒`];
    expect(decodeCursor(encodeCursor(key), schema)).toEqual(key);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['wrong shape', encodeCursor(['x'])],
    ['wrong timestamp', encodeCursor(['2024-01-01', 'a'])],
    ['SQL text', "'; DROP TABLE sessions; --"],
    ['too long', 'A'.repeat(2000)],
  ])('rejects a cursor that is %s', (_what, cursor) => {
    expect(decodeCursor(cursor, schema)).toBeUndefined();
  });
});
