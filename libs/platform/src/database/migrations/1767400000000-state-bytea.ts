import { MigrationInterface, QueryRunner } from 'typeorm';
// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_STATE_BYTEA_DOWN, STREAMS_STATE_BYTEA_UP } from '../../../../streams/src';
import { StateLz41766700000000 } from './1766700000000-state-lz4';

/**
 * stream_state.value from jsonb to the value's JSON in UTF-8 (BENCHMARKS.md, 2026-12-03). A type
 * change resets the column's compression, so lz4 is set again.
 */
export class StateBytea1767400000000 implements MigrationInterface {
  name = 'StateBytea1767400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of STREAMS_STATE_BYTEA_UP) await q.query(sql);
    await new StateLz41766700000000().up(q);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of STREAMS_STATE_BYTEA_DOWN) await q.query(sql);
    await new StateLz41766700000000().up(q);
  }
}
