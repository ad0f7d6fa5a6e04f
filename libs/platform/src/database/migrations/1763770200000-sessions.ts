import { sqlMigration } from './sql-migration';

/** The sessionizer's result table (SPEC §5) with indexes for the §8 queries. */
export const Sessions1763770200000 = sqlMigration('Sessions1763770200000', {
  up: [
    `
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
      )`,
    `CREATE INDEX sessions_user_started ON sessions (user_id, started_at)`,
    `CREATE INDEX sessions_started ON sessions (started_at)`,
    `CREATE INDEX sessions_open ON sessions (started_at) WHERE status = 'open'`,
  ],
  down: [`DROP TABLE sessions`],
});
