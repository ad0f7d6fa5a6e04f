import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL } from '../database/pg-pool';
import { SqlParams } from '../query/sql';

/** Sessions per highest funnel stage, started in [from, to) (the started_at index bounds the scan). */
@Injectable()
export class FunnelRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async stageCounts(from: Date | undefined, to: Date | undefined): Promise<Map<string, number>> {
    const p = new SqlParams();
    const where: string[] = [];
    if (from) where.push(`started_at >= ${p.param(from)}`);
    if (to) where.push(`started_at < ${p.param(to)}`);
    const { rows } = await this.pool.query<{ funnel_stage: string; n: string }>(
      `SELECT funnel_stage, count(*) AS n FROM sessions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY funnel_stage`,
      p.values,
    );
    return new Map(rows.map((r) => [r.funnel_stage, Number(r.n)]));
  }
}
