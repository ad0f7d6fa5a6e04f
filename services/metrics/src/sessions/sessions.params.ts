import { z } from 'zod';
import { SESSION_STATUSES } from '@clickstream/contracts';
import { cursorTimestamp } from '../query/cursor';
import {
  checkRange,
  cursorKey,
  cursorParam,
  enumParam,
  idParam,
  limitParam,
  parseQuery,
  timeParam,
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
    from: timeParam(),
    to: timeParam(),
    limit: limitParam(limits.defaultLimit, limits.maxLimit),
    cursor: cursorParam(),
  });
  checkRange(v.from, v.to);
  return {
    userId: v.user_id,
    status: v.status,
    from: v.from,
    to: v.to,
    limit: v.limit,
    after: cursorKey(v.cursor, sessionCursor),
  };
}
