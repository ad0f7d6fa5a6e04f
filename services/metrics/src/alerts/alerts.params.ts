import { z } from 'zod';
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
import { ALERT_RULES } from './alert-rules';
import { AlertQuery } from './alerts.repository';

const alertCursor = z.tuple([cursorTimestamp, z.string().min(1).max(400)]);

/** GET /v1/alerts: from/to bound window_start, half-open. */
export function parseAlertQuery(
  query: unknown,
  limits: { defaultLimit: number; maxLimit: number },
): AlertQuery {
  const v = parseQuery(query, {
    rule: enumParam(ALERT_RULES),
    user_id: idParam(),
    from: timeParam(),
    to: timeParam(),
    limit: limitParam(limits.defaultLimit, limits.maxLimit),
    cursor: cursorParam(),
  });
  checkRange(v.from, v.to);
  return {
    rule: v.rule,
    userId: v.user_id,
    from: v.from,
    to: v.to,
    limit: v.limit,
    after: cursorKey(v.cursor, alertCursor),
  };
}
