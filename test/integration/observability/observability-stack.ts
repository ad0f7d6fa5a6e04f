import { Pool } from 'pg';
import { topicNames } from '@clickstream/contracts';
import { USER_RULES } from '../../../services/fraud-detector/src/fraud/rules/user-rules';
import { generateTraffic } from '../../../tools/generate/traffic-generator';
import { logEndOffsets } from '../../../tools/shared/log-end-offsets';
import { deleteTopics, testBrokers, testKafka, uniqueName } from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { RunningPrometheus, startPrometheus } from '../../support/prometheus';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';

export const SERVICES = [
  'ingest',
  'sessionizer',
  'aggregator',
  'fraud-detector',
  'metrics',
] as const;
/** The services map's key of the second metrics instance. */
export const METRICS_REPLICA = 'metrics-replica';
const PROCESSORS = ['sessionizer', 'aggregator', 'fraud-detector'] as const;
const PARTITIONS = 3;
/** Small enough that one request over it gets 503 (backlog full); the replay's requests stay below. */
const MAX_BACKLOG = 2000;

export interface ObservabilityStack {
  prefix: string;
  prometheus: RunningPrometheus;
  services: Map<string, RunningService>;
  pool: Pool;
  /** When Prometheus started: the start of every range query. */
  startedAt: Date;
  cleanup(): Promise<void>;
}

/**
 * All five services (the metrics service twice) on their own topics, group prefix and database, and
 * a real Prometheus scraping each as a job named after it (as deploy/prometheus/prometheus.yml does).
 */
export async function startStack(): Promise<ObservabilityStack> {
  const prefix = `${uniqueName('observability')}.`;
  const db = await createMigratedDatabase('clickstream_observability');
  const services = new Map<string, RunningService>();
  let prometheus: RunningPrometheus | undefined;
  const cleanup = async () => {
    await prometheus?.stop();
    await Promise.all([...services.values()].map((s) => s.stop('SIGKILL')));
    await db.drop().catch(() => undefined);
    await deleteTopics(testKafka(), Object.values(topicNames(prefix))).catch(() => undefined);
  };
  try {
    const env: NodeJS.ProcessEnv = {
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      STREAMS_SESSION_TIMEOUT_MS: '6000',
      INGEST_MAX_BACKLOG_EVENTS: String(MAX_BACKLOG),
      METRICS_GAUGE_REFRESH_MS: '500',
      // A gauge query blocked by a lock fails at once: how the test makes a refresh fail.
      DATABASE_LOCK_TIMEOUT_MS: '100',
    };
    // Ingest first: it creates the topics the processors subscribe to.
    const ingest = await startService('ingest', env);
    services.set('ingest', ingest);
    await waitForHttpOk(ingest, '/health/ready', 60_000);
    // Two metrics replicas, as a deployment may run: each exports the same lag.
    const rest = await Promise.all(
      [...SERVICES.slice(1), METRICS_REPLICA].map(async (key) => {
        const name = key === METRICS_REPLICA ? 'metrics' : key;
        // Only the metrics service gets the short lock timeout: the processors' commits wait as usual.
        const svc = await startService(
          name,
          name === 'metrics' ? env : { ...env, DATABASE_LOCK_TIMEOUT_MS: '10000' },
        );
        services.set(key, svc);
        return svc;
      }),
    );
    await Promise.all(rest.map((s) => waitForHttpOk(s, '/health/ready', 60_000)));
    prometheus = await startPrometheus(
      SERVICES.map((job) => ({
        job,
        targets: [...services.values()]
          .filter((s) => s.name === job)
          .map((s) => `127.0.0.1:${s.port}`),
      })),
    );
    const startedAt = new Date();
    await prometheus.waitForTargetsUp();
    return { prefix, prometheus, services, pool: db.pool, startedAt, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export async function postEvents(stack: ObservabilityStack, events: unknown): Promise<number> {
  const res = await fetch(stack.services.get('ingest')!.url('/v1/events'), {
    method: 'POST',
    body: JSON.stringify(events),
    headers: { 'content-type': 'application/json' },
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Generated traffic with the per-user fraud patterns, through ingest, in two parts: 8 min of event
 * time ending 3 min ago, then 3 min more once Prometheus has scraped the first part's alerts. A
 * series' first sample is never an increase to rate(), so a histogram whose every observation came
 * before its first scrape would chart nothing: the second part's alerts add to existing series.
 */
export async function replayTraffic(stack: ObservabilityStack): Promise<void> {
  const first = await postPaced(stack, {
    seed: 13,
    startTime: Date.now() - 11 * 60_000,
    ratePerSecond: 4,
    count: 2000,
  });
  await waitForScraped(stack, 'fraud-detector', 'fraud_detection_latency_seconds_count');
  await postPaced(stack, { seed: 14, startTime: first + 1000, ratePerSecond: 6, count: 1200 });
}

/**
 * Posts the traffic a minute of event time at a time, each once the processors committed the one
 * before and the window finaliser reached their watermark, as live traffic arrives, so watermarks
 * advance as in production and nothing is late unless the test makes it so.
 * Returns the last event time.
 */
async function postPaced(
  stack: ObservabilityStack,
  o: { seed: number; startTime: number; ratePerSecond: number; count: number },
): Promise<number> {
  // The per-user rules fire as soon as their pattern completes: alerts within the replay.
  const events = [...generateTraffic({ ...o, fraud: USER_RULES, disorderMs: 10_000 }).events()];
  const at = (e: (typeof events)[number]) =>
    typeof e.event_time === 'number' ? e.event_time : Date.parse(e.event_time);
  let chunk: typeof events = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const status = await postEvents(stack, chunk);
    if (status !== 202) throw new Error(`replay chunk answered ${status}`);
    chunk = [];
    await waitForCaughtUp(stack);
    await waitForFinaliser(stack);
  };
  let chunkStart = at(events[0]);
  for (const e of events) {
    if (at(e) >= chunkStart + 60_000) {
      await flush();
      chunkStart = at(e);
    }
    chunk.push(e);
  }
  await flush();
  return Math.max(...events.map(at));
}

/** Waits until the aggregator's finaliser made final every 1 min window its committed watermarks allow. */
async function waitForFinaliser(stack: ObservabilityStack): Promise<void> {
  const group = `${stack.prefix}clickstream-aggregator`;
  await waitFor(
    async () => {
      const { rows } = await stack.pool.query<{
        wm: string | null;
        fu: string | null;
        first: string | null;
      }>(
        `SELECT (SELECT min(watermark) FROM stream_offsets WHERE group_id = $1 AND topic = $2) AS wm,
                (SELECT (extract(epoch FROM final_until) * 1000)::bigint FROM aggregate_progress WHERE window_size = '1m') AS fu,
                (SELECT (extract(epoch FROM min(window_start)) * 1000)::bigint FROM window_aggregates WHERE window_size = '1m') AS first`,
        [group, topicNames(stack.prefix).events],
      );
      const { wm, fu, first } = rows[0];
      if (wm === null) return true;
      const due = Math.floor(Number(wm) / 60_000) * 60_000;
      return fu !== null ? Number(fu) >= due : first === null || due <= Number(first);
    },
    {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'the window finaliser at the aggregator watermark',
    },
  );
}

/** Waits until Prometheus holds the sum of a service's series `name` that the service exports now. */
async function waitForScraped(
  stack: ObservabilityStack,
  service: string,
  name: string,
): Promise<void> {
  const text = await (await fetch(stack.services.get(service)!.url('/metrics'))).text();
  const exported = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
  if (exported === 0) throw new Error(`${service} exports no ${name}`);
  await waitFor(
    async () => {
      const [series] = await stack.prometheus.query(`sum(${name}{job="${service}"})`);
      return series !== undefined && Number(series.value?.[1]) === exported;
    },
    { timeoutMs: 20_000, intervalMs: 250, what: `Prometheus scraped ${name} = ${exported}` },
  );
}

/** Waits until every processor committed every record of the events topic (Postgres offsets vs the log end). */
export async function waitForCaughtUp(
  stack: ObservabilityStack,
  timeoutMs = 60_000,
): Promise<void> {
  const topic = topicNames(stack.prefix).events;
  await waitFor(
    async () => {
      // The high watermark, not kafkajs' last stable offset, which trails ingest's 202 (logEndOffsets).
      const end = [...(await logEndOffsets(testBrokers(), topic)).values()].reduce(
        (s, n) => s + Number(n),
        0,
      );
      for (const p of PROCESSORS) {
        const { rows } = await stack.pool.query<{ n: string | null }>(
          `SELECT sum(next_offset) n FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
          [`${stack.prefix}clickstream-${p}`, topic],
        );
        if (Number(rows[0].n ?? 0) < end) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 250, what: 'every processor caught up with the events topic' },
  );
}

/** A record no processor can decode, and one Postgres refuses (a NUL in user_id), past ingest. */
export async function producePoison(stack: ObservabilityStack): Promise<void> {
  const at = new Date().toISOString();
  const refused = {
    event_id: 'obs-nul',
    event_time: at,
    event_type: 'view',
    user_id: 'nul\u0000user',
    quantity: 1,
    currency: 'USD',
    properties: {},
    received_at: at,
  };
  const producer = testKafka().producer();
  await producer.connect();
  try {
    await producer.send({
      topic: topicNames(stack.prefix).events,
      acks: -1,
      messages: [
        { key: 'poison', value: '{not json' },
        { key: refused.user_id, value: JSON.stringify(refused) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
}

/** Events 30 min older than the partitions' watermarks (which stand near now), for many users, so every partition gets one. */
export const lateEvents = () =>
  Array.from({ length: 60 }, (_, i) => ({
    event_time: new Date(Date.now() - 30 * 60_000).toISOString(),
    event_type: 'page_view',
    user_id: `late-${i}`,
  }));

/** Current events with fixed ids: posted twice, as a client whose 202 got lost, the second time they are duplicates. */
export const retriedEvents = () =>
  Array.from({ length: 60 }, (_, i) => ({
    event_id: `retried-${i}`,
    event_time: new Date().toISOString(),
    event_type: 'page_view',
    user_id: `retry-${i}`,
  }));

/** More events in one request than the producer backlog holds: 503, nothing accepted. */
export const overBacklog = () =>
  Array.from({ length: MAX_BACKLOG + 1 }, (_, i) => ({
    event_time: new Date().toISOString(),
    event_type: 'page_view',
    user_id: `burst-${i}`,
  }));

/**
 * Holds an exclusive lock on `sessions` until `done()`: the metrics service's gauge queries give up
 * after its 100 ms lock timeout, so a refresh fails, as it does when Postgres is unavailable.
 */
export async function lockSessionsUntil(
  stack: ObservabilityStack,
  done: () => Promise<boolean>,
): Promise<void> {
  const client = await stack.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
    await waitFor(done, {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'a gauge refresh failure counted',
    });
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
