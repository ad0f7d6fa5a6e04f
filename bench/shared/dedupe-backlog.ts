/**
 * What a long-running deployment's dedupe holds, for a fresh bench stack. A processor remembers every
 * event id for its horizon (24 h of event time by default) in `stream_dedupe`, so after a day at R
 * events/s its rows number R × 86,400, while a bench's fresh database starts empty and its index stays
 * small and hot. This fills each processor's tasks with ids as if the stack had run `minutes` at
 * `rate` before the bench: random UUIDs (as trackers send), event times spread over those minutes
 * (inside the horizon, so nothing is forgotten during the run), written in key order (sorted inserts
 * are three times faster, and the pages end up as full as a table built over time, or fuller).
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { dedupeTask } from '@clickstream/streams/internals';

export interface DedupeBacklog {
  rowsPerTask: number;
  tasks: number;
  ms: number;
  bytes: number;
}

/** Rows a processor's task would hold after `minutes` at `rate` events/s over `partitions`. */
export function backlogRowsPerTask(rate: number, minutes: number, partitions: number): number {
  return Math.round((rate * minutes * 60) / partitions);
}

export async function fillDedupeBacklog(
  pool: Pool,
  o: { appIds: string[]; topic: string; partitions: number; rowsPerTask: number; minutes: number },
): Promise<DedupeBacklog> {
  const started = Date.now();
  const from = started - o.minutes * 60_000;
  const step = (o.minutes * 60_000) / Math.max(1, o.rowsPerTask);
  const tasks = o.appIds.flatMap((appId) =>
    Array.from({ length: o.partitions }, (_, partition) =>
      dedupeTask({ appId, topic: o.topic, partition }),
    ),
  );
  // Two at a time: this box has two cores, and each statement is one backend's work.
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
      await pool.query(
        `INSERT INTO stream_dedupe (task, id, fingerprint, event_time)
               SELECT $1::bigint, id, 0, ($2::double precision + (row_number() OVER (ORDER BY id)) * $3::double precision)::bigint
                 FROM (SELECT gen_random_uuid()::text AS id FROM generate_series(1, $4::int)) AS ids
                ORDER BY id`,
        [task, from, step, o.rowsPerTask],
      );
    }
  };
  await Promise.all([worker(), worker()]);
  const { rows } = await pool.query<{ bytes: string }>(
    `SELECT pg_total_relation_size('stream_dedupe')::text AS bytes`,
  );
  await pool.query('ANALYZE stream_dedupe');
  // The fill's WAL would otherwise be checkpointed during the run, and its page writes counted there.
  await pool.query('CHECKPOINT');
  return {
    rowsPerTask: o.rowsPerTask,
    tasks: tasks.length,
    ms: Date.now() - started,
    bytes: Number(rows[0].bytes),
  };
}

/** Generated events without ids: ingest mints each one and marks it, so no processor remembers it. */
export function* withoutIds<T extends { event_id?: string | null }>(
  events: Iterator<T>,
): Iterator<T> {
  for (let next = events.next(); !next.done; next = events.next())
    yield { ...next.value, event_id: undefined };
}

/** Generated events with random UUIDs as their ids (as Snowplow's and Segment's trackers send). */
export function* withRandomIds<T extends { event_id?: string | null }>(
  events: Iterator<T>,
): Iterator<T> {
  for (let next = events.next(); !next.done; next = events.next())
    yield { ...next.value, event_id: randomUUID() };
}
