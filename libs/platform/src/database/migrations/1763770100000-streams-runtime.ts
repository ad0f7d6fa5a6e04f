// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_SCHEMA_DOWN, STREAMS_SCHEMA_UP } from '../../../../streams/src';
import { SqlMigration } from './sql-migration';

/** Tables of the libs/streams runtime: task fencing, state stores and the transactional outbox. */
export class StreamsRuntime1763770100000 extends SqlMigration {
  name = 'StreamsRuntime1763770100000';
  protected upSql = STREAMS_SCHEMA_UP;
  protected downSql = STREAMS_SCHEMA_DOWN;
}
