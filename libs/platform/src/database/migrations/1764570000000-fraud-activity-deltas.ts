import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The fraud-detector keeps outlier_activity counts only in fraud_user_activity now (accumulated
 * deltas), no longer also as running counts in its state store: drop that store's rows. The table's
 * rows stay valid, since the deltas add onto the counts they hold.
 */
export class FraudActivityDeltas1764570000000 implements MigrationInterface {
  name = 'FraudActivityDeltas1764570000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM stream_state WHERE store = 'fraud-user-activity-store'`);
  }

  async down(): Promise<void> {
    // Nothing to restore: an older detector would restart its running counts at 0 and overwrite
    // the table's counts, so roll the detector back only together with a database restore.
  }
}
