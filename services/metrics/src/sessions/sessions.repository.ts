import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { SessionRow, sessionRow } from '@clickstream/contracts';
import { PG_POOL } from '../database/pg-pool';
import { contractRow, NewestFirstRepository, RowWithKey } from '../query/newest-first';

/** A session as SPEC §5 names its fields: the contract's row, as the sessionizer writes and publishes it. */
export type SessionItem = SessionRow;

/** Sessions newest first, by (started_at, session_id): started_at never changes for a session_id. */
@Injectable()
export class SessionsRepository extends NewestFirstRepository<
  typeof sessionRow,
  'user_id' | 'status'
> {
  constructor(@Inject(PG_POOL) pool: Pool) {
    super(pool, sessionRow, 'started_at', 'session_id', ['user_id', 'status']);
  }
}

export const toSessionItem = (r: RowWithKey<typeof sessionRow>): SessionItem =>
  contractRow(sessionRow, r);
