import { z } from 'zod';
import { cursorTimestamp } from '../query/cursor';
import {
  enumParam,
  idParam,
  pagedRange,
  pagedRangeParams,
  parseQuery,
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
    ...pagedRangeParams(limits.defaultLimit, limits.maxLimit),
  });
  return {
    rule: v.rule,
    userId: v.user_id,
    ...pagedRange(v, alertCursor),
  };
}
