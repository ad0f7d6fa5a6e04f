import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL } from '../database/pg-pool';
import { num } from '../query/sql';
import { OverviewRanges } from './overview-ranges';

export interface OverviewFigures {
  activeSessions: number;
  eventsLastMinute: number;
  lastMinuteFinal: boolean;
  uniqueUsers5m: number;
  revenueLastHour: number;
  purchasesLastHour: number;
  viewsLastHour: number;
  alertsLastHour: number;
}

export interface AlertCount {
  rule: string;
  severity: string;
  count: number;
}

/**
 * The KPIs of /v1/overview and the gauges. Every part is an index range: the window primary key
 * (1 + 5 + 60 windows × partitions), the partial index of open sessions, alerts_detected, and
 * sessions_started for the funnel of the last hour.
 */
@Injectable()
export class OverviewRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async figures(r: OverviewRanges): Promise<OverviewFigures> {
    const { rows } = await this.pool.query<Record<string, string | boolean | null>>(
      `WITH minute AS (
         SELECT COALESCE(sum(events), 0) AS events,
                COALESCE(max(window_end) <= (SELECT final_until FROM aggregate_progress WHERE window_size = '1m'), false) AS final
           FROM window_aggregates WHERE window_size = '1m' AND dimension = 'all' AND window_start = $1
       ), five AS (
         SELECT COALESCE(sum(unique_users), 0) AS users
           FROM window_aggregates WHERE window_size = '5m' AND dimension = 'all' AND window_start = $2
       ), hour AS (
         SELECT COALESCE(sum(revenue), 0) AS revenue, COALESCE(sum(purchases), 0) AS purchases, COALESCE(sum(views), 0) AS views
           FROM window_aggregates WHERE window_size = '1m' AND dimension = 'all' AND window_start >= $3 AND window_start < $4
       ), open AS (
         SELECT count(*) AS sessions FROM sessions WHERE status = 'open'
       ), alerted AS (
         SELECT count(*) AS alerts FROM alerts WHERE detected_at >= $5 AND detected_at < $6
       )
       SELECT minute.events, minute.final, five.users, hour.revenue, hour.purchases, hour.views, open.sessions, alerted.alerts
         FROM minute, five, hour, open, alerted`,
      [
        r.lastMinute.from,
        r.last5m.from,
        r.lastHour.from,
        r.lastHour.to,
        r.alerts.from,
        r.alerts.to,
      ],
    );
    const row = rows[0];
    return {
      activeSessions: num(row.sessions as string),
      eventsLastMinute: num(row.events as string),
      lastMinuteFinal: row.final === true,
      uniqueUsers5m: num(row.users as string),
      revenueLastHour: num(row.revenue as string),
      purchasesLastHour: num(row.purchases as string),
      viewsLastHour: num(row.views as string),
      alertsLastHour: num(row.alerts as string),
    };
  }

  async alertsByRule(r: OverviewRanges): Promise<AlertCount[]> {
    const { rows } = await this.pool.query<{ rule: string; severity: string; n: string }>(
      `SELECT rule, severity, count(*) AS n FROM alerts WHERE detected_at >= $1 AND detected_at < $2 GROUP BY rule, severity ORDER BY rule, severity`,
      [r.alerts.from, r.alerts.to],
    );
    return rows.map((x) => ({ rule: x.rule, severity: x.severity, count: Number(x.n) }));
  }
}
