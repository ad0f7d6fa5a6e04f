import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consumed offsets live in Postgres, committed in the same transaction as a processor's state and
 * results: that is what makes a processor's effects exactly-once (SPEC §9).
 */
export class StreamOffsets1763770000000 implements MigrationInterface {
  name = 'StreamOffsets1763770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stream_offsets (
        group_id    text        NOT NULL,
        topic       text        NOT NULL,
        partition   integer     NOT NULL,
        next_offset bigint      NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stream_offsets`);
  }
}
