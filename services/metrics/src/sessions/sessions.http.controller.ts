import { FUNNEL_STAGES, SESSION_STATUSES } from '@clickstream/contracts';
import { pagedList, pagedListController, timeIdCursor } from '../query/paged-list';
import { enumParam, idParam } from '../query/query-params';
import { SessionItem, SessionsRepository, toSessionItem } from './sessions.repository';

const SESSION_SCHEMA = {
  type: 'object',
  properties: {
    session_id: { type: 'string' },
    user_id: { type: 'string' },
    started_at: { type: 'string', format: 'date-time' },
    last_event_at: { type: 'string', format: 'date-time' },
    duration_s: { type: 'number' },
    event_count: { type: 'integer' },
    event_counts: { type: 'object', additionalProperties: { type: 'integer' } },
    revenue: { type: 'number' },
    funnel_stage: { type: 'string', enum: [...FUNNEL_STAGES] },
    converted: { type: 'boolean' },
    bounced: { type: 'boolean' },
    client_session_ids: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: SESSION_STATUSES },
    closed_at: { type: 'string', format: 'date-time', nullable: true },
  } satisfies Record<keyof SessionItem, object>,
};

/** GET /v1/sessions: from/to bound started_at, half-open. */
const SESSION_LIST = pagedList({
  summary: 'Sessions, newest first (by started_at, then session_id)',
  filters: { user_id: idParam(), status: enumParam(SESSION_STATUSES) },
  range: 'started_at',
  cursor: timeIdCursor(200),
  schema: SESSION_SCHEMA,
  key: (r) => [r.k, r.session_id],
  item: toSessionItem,
});

/** SPEC §8 GET /v1/sessions (SPEC §5 fields), newest first. */
export class SessionsHttpController extends pagedListController(
  'sessions',
  'v1/sessions',
  SESSION_LIST,
  SessionsRepository,
) {}
