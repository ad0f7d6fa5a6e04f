import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { AlertRow, alertRow } from '@clickstream/contracts';
import { PG_POOL } from '../database/pg-pool';
import { contractRow, NewestFirstRepository, RowWithKey } from '../query/newest-first';

/** An alert as SPEC §7 names its fields: the contract's row, as the fraud-detector stores and publishes it. */
export type AlertItem = AlertRow;

/** Alerts newest window first; indexes alerts_window, alerts_rule_window and alerts_user_window. */
@Injectable()
export class AlertsRepository extends NewestFirstRepository<typeof alertRow, 'rule' | 'user_id'> {
  constructor(@Inject(PG_POOL) pool: Pool) {
    super(pool, alertRow, 'window_start', 'alert_id', ['rule', 'user_id']);
  }
}

export const toAlertItem = (r: RowWithKey<typeof alertRow>): AlertItem => contractRow(alertRow, r);
