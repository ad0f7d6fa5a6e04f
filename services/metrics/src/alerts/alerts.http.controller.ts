import { pagedList, pagedListController, timeIdCursor } from '../query/paged-list';
import { enumParam, idParam } from '../query/query-params';
import { ALERT_RULES } from './alert-rules';
import { AlertItem, AlertsRepository, toAlertItem } from './alerts.repository';

const ALERT_SCHEMA = {
  type: 'object',
  properties: {
    alert_id: { type: 'string', description: 'rule:key:window_start' },
    rule: { type: 'string', enum: ALERT_RULES },
    severity: { type: 'string', enum: ['low', 'medium', 'high'] },
    user_id: { type: 'string', nullable: true },
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: 'string', format: 'date-time' },
    value: { type: 'number' },
    threshold: { type: 'number' },
    detected_at: { type: 'string', format: 'date-time' },
    evidence: { type: 'object' },
  } satisfies Record<keyof AlertItem, object>,
};

/** GET /v1/alerts: from/to bound window_start, half-open. */
const ALERT_LIST = pagedList({
  summary: 'Fraud and anomaly alerts, newest window first (by window_start, then alert_id)',
  filters: { rule: enumParam(ALERT_RULES), user_id: idParam() },
  range: 'window_start',
  cursor: timeIdCursor(400),
  schema: ALERT_SCHEMA,
  key: (r) => [r.k, r.alert_id],
  item: toAlertItem,
});

/** SPEC §8 GET /v1/alerts (SPEC §7 fields), newest window first. */
export class AlertsHttpController extends pagedListController(
  'alerts',
  'v1/alerts',
  ALERT_LIST,
  AlertsRepository,
) {}
