import { itemTable, renderTable } from './table';

/** Field names as the API (SPEC §5, §7, §8) returns them; only what the tables show. */
interface Overview {
  at: string;
  active_sessions: number;
  events_last_minute: number;
  unique_users_last_5m: number;
  revenue_last_hour: number;
  conversion_rate_last_hour: number;
  alerts_last_hour: number;
  alerts_last_hour_by_rule: Record<string, number>;
}

interface Session {
  session_id: string;
  user_id: string;
  started_at: string;
  duration_s: number;
  event_count: number;
  revenue: number;
  funnel_stage: string;
  status: string;
}

interface Alert {
  detected_at: string;
  rule: string;
  severity: string;
  user_id: string | null;
  window_start: string;
  value: number;
  threshold: number;
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

export function renderOverview(o: Overview): string {
  const kpis = renderTable(
    ['kpi', 'value'],
    [
      ['at', o.at],
      ['active sessions', o.active_sessions],
      ['events, last minute', o.events_last_minute],
      ['unique users, last 5 min', o.unique_users_last_5m],
      ['revenue, last hour', o.revenue_last_hour.toFixed(2)],
      ['conversion, last hour', pct(o.conversion_rate_last_hour)],
      ['alerts, last hour', o.alerts_last_hour],
    ],
  );
  const rules = Object.entries(o.alerts_last_hour_by_rule);
  return rules.length ? `${kpis}\n\n${renderTable(['rule', 'alerts'], rules)}` : kpis;
}

export const renderSessions = itemTable<Session>([
  'started_at',
  'session_id',
  'user_id',
  'status',
  ['events', (s) => s.event_count],
  'duration_s',
  ['funnel', (s) => s.funnel_stage],
  ['revenue', (s) => s.revenue.toFixed(2)],
]);

export const renderAlerts = itemTable<Alert>([
  'window_start',
  'rule',
  'severity',
  // Traffic rules have no user.
  ['user_id', (a) => a.user_id ?? '*'],
  'value',
  'threshold',
  'detected_at',
]);
