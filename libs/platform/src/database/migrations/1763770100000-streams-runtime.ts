import { MigrationInterface, QueryRunner } from 'typeorm';
// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_SCHEMA_DOWN, STREAMS_SCHEMA_UP } from '../../../../streams/src/runtime/schema';

/** Tables of the libs/streams runtime: task fencing, state stores and the transactional outbox. */
export class StreamsRuntime1763770100000 implements MigrationInterface {
  name = 'StreamsRuntime1763770100000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of STREAMS_SCHEMA_UP) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of STREAMS_SCHEMA_DOWN) await q.query(sql);
  }
}
