import { MigrationInterface, QueryRunner } from 'typeorm';

/** The sessionizer's result table (SPEC §5) with indexes for the §8 queries. */
export class Sessions1763770200000 implements MigrationInterface {
  name = 'Sessions1763770200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sessions (
        session_id         text             PRIMARY KEY,
        user_id            text             NOT NULL,
        started_at         timestamptz      NOT NULL,
        last_event_at      timestamptz      NOT NULL,
        duration_s         double precision NOT NULL,
        event_count        integer          NOT NULL,
        event_counts       jsonb            NOT NULL,
        revenue            numeric(18, 2)   NOT NULL,
        funnel_stage       text             NOT NULL,
        converted          boolean          NOT NULL,
        bounced            boolean          NOT NULL,
        client_session_ids text[]           NOT NULL,
        status             text             NOT NULL CHECK (status IN ('open', 'closed')),
        closed_at          timestamptz
      )`);
    await q.query(`CREATE INDEX sessions_user_started ON sessions (user_id, started_at)`);
    await q.query(`CREATE INDEX sessions_started ON sessions (started_at)`);
    await q.query(`CREATE INDEX sessions_open ON sessions (started_at) WHERE status = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sessions`);
  }
}
