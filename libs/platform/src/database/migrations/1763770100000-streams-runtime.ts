// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_SCHEMA_DOWN, STREAMS_SCHEMA_UP } from '../../../../streams/src';
import { sqlMigration } from './sql-migration';

/** Tables of the libs/streams runtime: task fencing, state stores and the transactional outbox. */
export const StreamsRuntime1763770100000 = sqlMigration('StreamsRuntime1763770100000', {
  up: STREAMS_SCHEMA_UP,
  down: STREAMS_SCHEMA_DOWN,
});
