// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import { STREAMS_DEDUPE_DOWN, STREAMS_DEDUPE_UP } from '../../../../streams/src';
import { sqlMigration } from './sql-migration';

/** The ids the processors' dedupe remembers (issue 14: a retried request counts once). */
export const StreamDedupe1768000000000 = sqlMigration('StreamDedupe1768000000000', {
  up: STREAMS_DEDUPE_UP,
  down: STREAMS_DEDUPE_DOWN,
});
