import { MigrationInterface, QueryRunner } from 'typeorm';
// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_DEDUPE_DOWN, STREAMS_DEDUPE_UP } from '../../../../streams/src/runtime/schema';

/** The ids the processors' dedupe remembers (issue 14: a retried request counts once). */
export class StreamDedupe1768000000000 implements MigrationInterface {
  name = 'StreamDedupe1768000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of STREAMS_DEDUPE_UP) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of STREAMS_DEDUPE_DOWN) await q.query(sql);
  }
}
