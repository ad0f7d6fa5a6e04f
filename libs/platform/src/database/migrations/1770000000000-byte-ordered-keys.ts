// Relative, not the path alias: migrations also load in jest's global setup, which has no mapper.
import {
  STREAMS_BYTE_KEYS_DOWN,
  STREAMS_BYTE_KEYS_UP,
  textCollationSql,
} from '../../../../streams/src';
import { sqlMigration } from './sql-migration';

/**
 * The application's text key columns (every text column of an index), compared as bytes as the
 * runtime's are (STREAMS_BYTE_KEYS_UP says why). Equality, and so every lookup and filter, is the
 * same under any deterministic collation; only an ORDER BY on such a column can change, and the
 * API orders by one only to break ties (top products of equal revenue by product_id).
 */
const APP_BYTE_ORDERED_KEYS: ReadonlyArray<[table: string, columns: string[]]> = [
  ['sessions', ['session_id', 'user_id']],
  ['window_aggregates', ['window_size', 'dimension']],
  ['product_hour_aggregates', ['product_id']],
  ['aggregate_progress', ['window_size']],
  ['alerts', ['alert_id', 'rule', 'user_id']],
  ['fraud_user_activity', ['user_id']],
  ['fraud_rule_baseline', ['rule']],
  ['fraud_rule_changes', ['rule']],
];

/** Every table's text key columns compared as bytes, whatever the server's collation (issue 16). */
export const ByteOrderedKeys1770000000000 = sqlMigration('ByteOrderedKeys1770000000000', {
  up: [...STREAMS_BYTE_KEYS_UP, ...textCollationSql(APP_BYTE_ORDERED_KEYS, '"C"')],
  down: [...STREAMS_BYTE_KEYS_DOWN, ...textCollationSql(APP_BYTE_ORDERED_KEYS, '"default"')],
});
