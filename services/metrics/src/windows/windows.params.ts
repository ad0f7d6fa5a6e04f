import { EVENT_TYPES } from '@clickstream/contracts';
import { z } from 'zod';
import { cursorTimestamp } from '../query/cursor';
import {
  enumParam,
  pagedRange,
  pagedRangeParams,
  parseQuery,
  requiredEnumParam,
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
    ...pagedRangeParams(limits.defaultLimit, limits.maxLimit),
  });
  const { after, ...page } = pagedRange(v, z.tuple([cursorTimestamp]));
  return { size: v.size, dimension: v.dimension, ...page, after: after?.[0] };
}
