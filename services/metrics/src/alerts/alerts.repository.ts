import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL } from '../database/pg-pool';
import { exactTimestampSql } from '../query/cursor';
import { SqlParams } from '../query/sql';
import { AlertRule } from './alert-rules';

/** An alert as SPEC §7 names its fields. */
export interface AlertItem {
  alert_id: string;
  rule: string;
  severity: string;
  user_id: string | null;
  window_start: string;
  window_end: string;
  value: number;
  threshold: number;
  detected_at: string;
  evidence: unknown;
}

export interface AlertQuery {
  rule?: AlertRule;
  userId?: string;
  from?: Date;
  to?: Date;
  /** Exclusive: alerts before this (window_start, alert_id) in the newest-first order. */
  after?: readonly [string, string];
  limit: number;
}

export interface AlertRow extends Omit<AlertItem, 'window_start' | 'window_end' | 'detected_at'> {
  window_start: Date;
  window_end: Date;
  detected_at: Date;
  k: string;
}

/** Alerts newest window first; indexes alerts_window, alerts_rule_window and alerts_user_window. */
@Injectable()
export class AlertsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(q: AlertQuery): Promise<AlertRow[]> {
    const p = new SqlParams();
    const where: string[] = [];
    if (q.rule !== undefined) where.push(`rule = ${p.param(q.rule)}`);
    // The partial index alerts_user_window needs the planner to see user_id IS NOT NULL.
    if (q.userId !== undefined) where.push(`user_id = ${p.param(q.userId)}`, 'user_id IS NOT NULL');
    if (q.from) where.push(`window_start >= ${p.param(q.from)}`);
    if (q.to) where.push(`window_start < ${p.param(q.to)}`);
    if (q.after) {
      const ts = p.param(q.after[0]);
      where.push(`window_start <= ${ts}::timestamptz`, `(window_start, alert_id) < (${ts}::timestamptz, ${p.param(q.after[1])})`);
    }
    const sql = `
      SELECT alert_id, rule, severity, user_id, window_start, window_end, value, threshold, detected_at, evidence,
             ${exactTimestampSql('window_start')} AS k
        FROM alerts
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY window_start DESC, alert_id DESC
       LIMIT ${p.param(q.limit + 1)}`;
    const { rows } = await this.pool.query<AlertRow>(sql, p.values);
    return rows;
  }
}

export function toAlertItem(r: AlertRow): AlertItem {
  return {
    alert_id: r.alert_id,
    rule: r.rule,
    severity: r.severity,
    user_id: r.user_id,
    window_start: r.window_start.toISOString(),
    window_end: r.window_end.toISOString(),
    value: r.value,
    threshold: r.threshold,
    detected_at: r.detected_at.toISOString(),
    evidence: r.evidence,
  };
}
