import { EVENT_TYPES } from '@clickstream/contracts';
import { z } from 'zod';
import { cursorTimestamp } from '../query/cursor';
import {
  checkRange,
  cursorKey,
  cursorParam,
  enumParam,
  limitParam,
  parseQuery,
  requiredEnumParam,
  timeParam,
} from '../query/query-params';
import { WINDOW_SIZES, WindowQuery } from './windows.repository';

export const DIMENSIONS = ['all', ...EVENT_TYPES] as const;

/** GET /v1/windows: from/to bound window_start, half-open; oldest first. */
export function parseWindowQuery(
  query: unknown,
  limits: { defaultLimit: number; maxLimit: number },
): WindowQuery {
  const v = parseQuery(query, {
    size: requiredEnumParam(WINDOW_SIZES),
    dimension: enumParam(DIMENSIONS, 'all'),
    from: timeParam(),
    to: timeParam(),
    limit: limitParam(limits.defaultLimit, limits.maxLimit),
    cursor: cursorParam(),
  });
  checkRange(v.from, v.to);
  const after = cursorKey(v.cursor, z.tuple([cursorTimestamp]));
  return {
    size: v.size,
    dimension: v.dimension,
    from: v.from,
    to: v.to,
    limit: v.limit,
    after: after?.[0],
  };
}
