import { ClickEvent, SessionRow, sessionRow, TopicNames } from '@clickstream/contracts';
import { Serdes, Topology, TopologyBuilder } from '@clickstream/streams';
import { clickEventSource } from '@clickstream/platform';
import {
  addToSession,
  initialSession,
  internedSessionEvents,
  memoSessionId,
  SessionAggregate,
  SessionEvent,
  sessionBytesCodec,
  sessionEventsCodec,
  toSessionRow,
} from './session-window';

export const SESSIONIZER_APP_ID = 'clickstream-sessionizer';

export interface SessionizerTopologyOptions {
  topics: TopicNames;
  gapMs: number;
  maxDurationMs: number;
  applicationId?: string;
  /**
   * How each user's open state is stored: `bytes` (default: sessionBytesCodec, about half the size of
   * JSON; builds older than it cannot read it) or `json`. Either reads a state stored as JSON.
   */
  stateFormat?: 'json' | 'bytes';
  /** Drop retried events by event_id for this long behind the watermark; 0 or unset: no dedupe. */
  dedupeHorizonMs?: number;
  /** Called once per closed session (metrics); must not throw. */
  onClosed?: (row: SessionRow) => void;
}

/**
 * clickstream.events.v1 → per-user sessions (SPEC §5).
 * Open sessions are upserted to Postgres on every commit (visible within seconds, with current
 * values); a session merged away by an out-of-order event is deleted; a closed session is published
 * once to clickstream.sessions.v1, keyed by user_id.
 */
export function sessionizerTopology(o: SessionizerTopologyOptions): Topology {
  const b = new TopologyBuilder(o.applicationId ?? SESSIONIZER_APP_ID);
  const rowOptions = {
    gapMs: o.gapMs,
    maxDurationMs: o.maxDurationMs,
    sessionIdOf: memoSessionId(),
  };
  const rowOf = (r: Parameters<typeof toSessionRow>[0]) => toSessionRow(r, rowOptions);

  const sessions = b
    .stream<ClickEvent>(o.topics.events, clickEventSource('sessionizer-dedupe', o.dedupeHorizonMs))
    .map<SessionEvent>('sessionizer-compact-event', internedSessionEvents())
    .sessionAggregate<SessionAggregate>('sessionizer-session-window', {
      gapMs: o.gapMs,
      maxDurationMs: o.maxDurationMs,
      initializer: initialSession,
      aggregator: addToSession,
      emit: 'update',
      tailCodec: sessionEventsCodec,
      bytesCodec: o.stateFormat === 'json' ? undefined : sessionBytesCodec,
    });

  sessions.toTable('sessionizer-sessions-table', {
    table: sessionRow.table,
    columns: sessionRow.columnTypes,
    primaryKey: [...sessionRow.primaryKey],
    // session_id is a hash of (user, start): the last result per session in a commit is the row.
    rowKey: (r) => `${r.value.key}|${r.value.start}`,
    row: (r) => (r.value.retracted ? null : { ...rowOf(r.value) }),
    deleteKey: (r): Pick<SessionRow, 'session_id'> => ({ session_id: rowOf(r.value).session_id }),
  });

  sessions
    .filter('sessionizer-closed-only', (r) => r.final)
    .map<SessionRow>('sessionizer-session-record', (r) => {
      const row = rowOf(r);
      o.onClosed?.(row);
      return row;
    })
    .to('sessionizer-sessions-sink', {
      topic: o.topics.sessions,
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      key: (r) => r.value.user_id,
    });

  return b.build();
}
