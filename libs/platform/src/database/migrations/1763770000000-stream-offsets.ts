import { sqlMigration } from './sql-migration';

/**
 * Consumed offsets live in Postgres, committed in the same transaction as a processor's state and
 * results: that is what makes a processor's effects exactly-once (SPEC §9).
 */
export const StreamOffsets1763770000000 = sqlMigration('StreamOffsets1763770000000', {
  up: [
    `
      CREATE TABLE stream_offsets (
        group_id    text        NOT NULL,
        topic       text        NOT NULL,
        partition   integer     NOT NULL,
        next_offset bigint      NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`,
  ],
  down: [`DROP TABLE stream_offsets`],
});
