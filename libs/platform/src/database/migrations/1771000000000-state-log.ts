// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_STATE_LOG_DOWN, STREAMS_STATE_LOG_UP } from '../../../../streams/src';
import { sqlMigration } from './sql-migration';

/** The processors' state changes as a log, one row per commit (issue 16; BENCHMARKS.md, "The state as a log"). */
export const StateLog1771000000000 = sqlMigration('StateLog1771000000000', {
  up: STREAMS_STATE_LOG_UP,
  down: STREAMS_STATE_LOG_DOWN,
});
