import { StreamOffsets1763770000000 } from './1763770000000-stream-offsets';
import { StreamsRuntime1763770100000 } from './1763770100000-streams-runtime';
import { Sessions1763770200000 } from './1763770200000-sessions';
import { AggregatesAndAlerts1763770300000 } from './1763770300000-aggregates-and-alerts';
import { FraudActivityDeltas1764570000000 } from './1764570000000-fraud-activity-deltas';
import { WideRevenue1765400000000 } from './1765400000000-wide-revenue';
import { StateLz41766700000000 } from './1766700000000-state-lz4';
import { StateBytea1767400000000 } from './1767400000000-state-bytea';
import { StreamDedupe1768000000000 } from './1768000000000-stream-dedupe';
import { FraudRules1769000000000 } from './1769000000000-fraud-rules';
import { ByteOrderedKeys1770000000000 } from './1770000000000-byte-ordered-keys';
import { StateLog1771000000000 } from './1771000000000-state-log';

/** Every migration, in order. Listed explicitly so they load the same from ts-jest and dist/. */
export const MIGRATIONS = [
  StreamOffsets1763770000000,
  StreamsRuntime1763770100000,
  Sessions1763770200000,
  AggregatesAndAlerts1763770300000,
  FraudActivityDeltas1764570000000,
  WideRevenue1765400000000,
  StateLz41766700000000,
  StateBytea1767400000000,
  StreamDedupe1768000000000,
  FraudRules1769000000000,
  ByteOrderedKeys1770000000000,
  StateLog1771000000000,
];
