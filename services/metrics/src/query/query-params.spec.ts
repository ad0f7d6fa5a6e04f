import {
  checkRange,
  cursorKey,
  cursorParam,
  enumParam,
  idParam,
  limitParam,
  parseQuery,
  QueryParamError,
  requiredEnumParam,
  timeParam,
} from './query-params';
import { z } from 'zod';
import { encodeCursor } from './cursor';

const spec = {
  size: requiredEnumParam(['1m', '5m', '1h'] as const),
  by: enumParam(['views', 'revenue'] as const, 'views'),
  status: enumParam(['open', 'closed'] as const),
  from: timeParam(),
  limit: limitParam(100, 1000),
  user_id: idParam(),
  cursor: cursorParam(),
};

function errorOf(fn: () => unknown): { parameter: string; message: string; accepted: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(QueryParamError);
    return (err as QueryParamError).getResponse() as {
      parameter: string;
      message: string;
      accepted: string;
    };
  }
  throw new Error('expected a QueryParamError');
}

describe('parseQuery', () => {
  it('applies defaults and parses values', () => {
    expect(parseQuery({ size: '5m', from: '2024-01-01T10:00:00+02:00', limit: '7' }, spec)).toEqual(
      {
        size: '5m',
        by: 'views',
        status: undefined,
        from: new Date('2024-01-01T08:00:00Z'),
        limit: 7,
        user_id: undefined,
        cursor: undefined,
      },
    );
  });

  it.each([
    ['size', {}, 'is required'],
    ['size', { size: '2m' }, 'one of 1m, 5m, 1h'],
    ['by', { size: '1m', by: 'clicks' }, 'one of views, revenue'],
    ['status', { size: '1m', status: 'OPEN' }, 'one of open, closed'],
    ['from', { size: '1m', from: 'yesterday' }, 'ISO-8601'],
    ['from', { size: '1m', from: '2024-01-01T10:00:00' }, 'ISO-8601'],
    ['limit', { size: '1m', limit: '0' }, 'from 1 to 1000'],
    ['limit', { size: '1m', limit: '1001' }, 'from 1 to 1000'],
    ['limit', { size: '1m', limit: '1.5' }, 'from 1 to 1000'],
    ['limit', { size: '1m', limit: '10; DROP TABLE sessions' }, 'from 1 to 1000'],
    ['user_id', { size: '1m', user_id: '' }, '1 to 128'],
    ['user_id', { size: '1m', user_id: 'u'.repeat(129) }, '1 to 128'],
  ])('a bad %s is a 400 naming it and what it accepts', (parameter, query, accepted) => {
    const e = errorOf(() => parseQuery(query, spec));
    expect(e.parameter).toBe(parameter);
    expect(e.message).toContain(parameter);
    expect(e.message).toContain(accepted);
  });

  it('rejects unknown parameters, listing the accepted ones', () => {
    const e = errorOf(() => parseQuery({ size: '1m', form: '2024-01-01T00:00:00Z' }, spec));
    expect(e.parameter).toBe('form');
    expect(e.message).toContain('unknown parameter');
    expect(e.accepted).toContain('size, by, status, from, limit, user_id, cursor');
  });

  it('rejects a repeated parameter', () => {
    expect(errorOf(() => parseQuery({ size: ['1m', '5m'] }, spec)).parameter).toBe('size');
  });

  it('never resolves names through the prototype', () => {
    expect(
      errorOf(() => parseQuery(JSON.parse('{"size":"1m","constructor":"x"}'), spec)).parameter,
    ).toBe('constructor');
  });
});

describe('checkRange', () => {
  it('accepts from < to and open ends', () => {
    expect(() => checkRange(new Date(0), new Date(1))).not.toThrow();
    expect(() => checkRange(undefined, new Date(1))).not.toThrow();
  });

  it('names `to` when the half-open range is empty or reversed', () => {
    expect(errorOf(() => checkRange(new Date(5), new Date(5))).parameter).toBe('to');
    expect(errorOf(() => checkRange(new Date(6), new Date(5))).parameter).toBe('to');
  });
});

describe('cursorKey', () => {
  const schema = z.tuple([z.string()]);
  it('decodes our cursors and names `cursor` otherwise', () => {
    expect(cursorKey(encodeCursor(['a']), schema)).toEqual(['a']);
    expect(cursorKey(undefined, schema)).toBeUndefined();
    expect(errorOf(() => cursorKey('bogus', schema)).parameter).toBe('cursor');
  });
});
