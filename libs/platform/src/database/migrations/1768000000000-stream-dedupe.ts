// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_DEDUPE_DOWN, STREAMS_DEDUPE_UP } from '../../../../streams/src';
import { SqlMigration } from './sql-migration';

/** The ids the processors' dedupe remembers (issue 14: a retried request counts once). */
export class StreamDedupe1768000000000 extends SqlMigration {
  name = 'StreamDedupe1768000000000';
  protected upSql = STREAMS_DEDUPE_UP;
  protected downSql = STREAMS_DEDUPE_DOWN;
}
