import { z } from 'zod';
import { SESSION_STATUSES } from '@clickstream/contracts';
import { cursorTimestamp } from '../query/cursor';
import {
  enumParam,
  idParam,
  pagedRange,
  pagedRangeParams,
  parseQuery,
} from '../query/query-params';
import { SessionQuery } from './sessions.repository';

const sessionCursor = z.tuple([cursorTimestamp, z.string().min(1).max(200)]);

/** GET /v1/sessions: from/to bound started_at, half-open. */
export function parseSessionQuery(
  query: unknown,
  limits: { defaultLimit: number; maxLimit: number },
): SessionQuery {
  const v = parseQuery(query, {
    user_id: idParam(),
    status: enumParam(SESSION_STATUSES),
    ...pagedRangeParams(limits.defaultLimit, limits.maxLimit),
  });
  return {
    userId: v.user_id,
    status: v.status,
    ...pagedRange(v, sessionCursor),
  };
}
