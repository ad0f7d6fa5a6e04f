import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { AlertRow, alertRow, SelectedRow } from '@clickstream/contracts';
import { PG_POOL } from '../database/pg-pool';
import { exactTimestampSql } from '../query/cursor';
import { SqlParams } from '../query/sql';
import { AlertRule } from './alert-rules';

/** An alert as SPEC §7 names its fields: the contract's row, as the fraud-detector stores and publishes it. */
export type AlertItem = AlertRow;

export interface AlertQuery {
  rule?: AlertRule;
  userId?: string;
  from?: Date;
  to?: Date;
  /** Exclusive: alerts before this (window_start, alert_id) in the newest-first order. */
  after?: readonly [string, string];
  limit: number;
}

/** An alerts row as node-postgres returns it (contract columns), with the cursor key. */
export type AlertRowWithKey = SelectedRow<typeof alertRow> & { k: string };

const ALERT_COLUMNS = Object.keys(alertRow.columnTypes).join(', ');

/** Alerts newest window first; indexes alerts_window, alerts_rule_window and alerts_user_window. */
@Injectable()
export class AlertsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(q: AlertQuery): Promise<AlertRowWithKey[]> {
    const p = new SqlParams();
    const where: string[] = [];
    if (q.rule !== undefined) where.push(`rule = ${p.param(q.rule)}`);
    // The partial index alerts_user_window needs the planner to see user_id IS NOT NULL.
    if (q.userId !== undefined) where.push(`user_id = ${p.param(q.userId)}`, 'user_id IS NOT NULL');
    if (q.from) where.push(`window_start >= ${p.param(q.from)}`);
    if (q.to) where.push(`window_start < ${p.param(q.to)}`);
    if (q.after) {
      const ts = p.param(q.after[0]);
      where.push(
        `window_start <= ${ts}::timestamptz`,
        `(window_start, alert_id) < (${ts}::timestamptz, ${p.param(q.after[1])})`,
      );
    }
    const sql = `
      SELECT ${ALERT_COLUMNS}, ${exactTimestampSql('window_start')} AS k
        FROM ${alertRow.table}
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY window_start DESC, alert_id DESC
       LIMIT ${p.param(q.limit + 1)}`;
    const { rows } = await this.pool.query<AlertRowWithKey>(sql, p.values);
    return rows;
  }
}

export function toAlertItem(r: AlertRowWithKey): AlertItem {
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
