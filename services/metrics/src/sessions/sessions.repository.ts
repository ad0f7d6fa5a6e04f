import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { SelectedRow, SessionRow, sessionRow, SessionStatus } from '@clickstream/contracts';
import { PG_POOL } from '../database/pg-pool';
import { exactTimestampSql } from '../query/cursor';
import { num, SqlParams } from '../query/sql';

/** A session as SPEC §5 names its fields: the contract's row, as the sessionizer writes and publishes it. */
export type SessionItem = SessionRow;

export interface SessionQuery {
  userId?: string;
  status?: SessionStatus;
  from?: Date;
  to?: Date;
  /** Exclusive: sessions before this (started_at, session_id) in the newest-first order. */
  after?: readonly [string, string];
  limit: number;
}

/** A sessions row as node-postgres returns it (contract columns), with the cursor key. */
export type SessionRowWithKey = SelectedRow<typeof sessionRow> & { k: string };

const SESSION_COLUMNS = Object.keys(sessionRow.columnTypes).join(', ');

/** Sessions newest first, by (started_at, session_id): started_at never changes for a session_id. */
@Injectable()
export class SessionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(q: SessionQuery): Promise<SessionRowWithKey[]> {
    const p = new SqlParams();
    const where: string[] = [];
    if (q.userId !== undefined) where.push(`user_id = ${p.param(q.userId)}`);
    if (q.status !== undefined) where.push(`status = ${p.param(q.status)}`);
    if (q.from) where.push(`started_at >= ${p.param(q.from)}`);
    if (q.to) where.push(`started_at < ${p.param(q.to)}`);
    if (q.after) {
      const ts = p.param(q.after[0]);
      // The plain bound lets the planner use the started_at indexes; the row comparison breaks ties.
      where.push(
        `started_at <= ${ts}::timestamptz`,
        `(started_at, session_id) < (${ts}::timestamptz, ${p.param(q.after[1])})`,
      );
    }
    const sql = `
      SELECT ${SESSION_COLUMNS}, ${exactTimestampSql('started_at')} AS k
        FROM ${sessionRow.table}
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at DESC, session_id DESC
       LIMIT ${p.param(q.limit + 1)}`;
    const { rows } = await this.pool.query<SessionRowWithKey>(sql, p.values);
    return rows;
  }
}

export function toSessionItem(r: SessionRowWithKey): SessionItem {
  return {
    session_id: r.session_id,
    user_id: r.user_id,
    started_at: r.started_at.toISOString(),
    last_event_at: r.last_event_at.toISOString(),
    duration_s: r.duration_s,
    event_count: r.event_count,
    event_counts: r.event_counts,
    revenue: num(r.revenue),
    funnel_stage: r.funnel_stage,
    converted: r.converted,
    bounced: r.bounced,
    client_session_ids: r.client_session_ids,
    status: r.status,
    closed_at: r.closed_at ? r.closed_at.toISOString() : null,
  };
}
