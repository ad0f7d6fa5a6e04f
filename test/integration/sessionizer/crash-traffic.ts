import { Pool } from 'pg';
import { ClickEventInput, TopicNames, topicNames, validateEvent } from '@clickstream/contracts';
import { generateTraffic } from '../../../tools/generate/traffic-generator';
import { deleteTopics, testKafka, uniqueName } from '../../support/kafka';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { referenceSessions, refEvent, RefSession } from './reference-sessions';

export const PARTITIONS = 6;

/** What the sessionizer's crash specs send, and the sessions it must give. */
export interface CrashTraffic {
  /** Generated events (several sessions per user, gaps around 30 min), shuffled within 60 s. */
  events: ClickEventInput[];
  /** One event per clock user three days later: every partition's watermark passes every session's end. */
  clock: ClickEventInput[];
  ref: RefSession[];
  /** Records sent; offsets also count transaction markers, so progress runs a little ahead. */
  total: number;
}

/**
 * `userTag` prefixes every user id: the specs share one database, and the generator names its users
 * the same way for every seed, so each spec's sessions must be told apart by user.
 */
export function crashTraffic(
  userTag: string,
  seed: number,
  count: number,
  startTime: number,
): CrashTraffic {
  const events = [
    ...generateTraffic({ seed, startTime, ratePerSecond: 10, count, disorderMs: 60_000 }).events(),
  ].map((event) => ({ ...event, user_id: `${userTag}-${event.user_id}` }));
  const ref = referenceSessions(
    events.map((input) => {
      const result = validateEvent(input, { now: Date.now() });
      if (!result.ok) throw new Error(`generated event invalid: ${JSON.stringify(result.errors)}`);
      return refEvent(result.event);
    }),
  );
  const clock = Array.from({ length: 120 }, (_, i) => ({
    event_time: new Date(startTime + 3 * 86_400_000).toISOString(),
    event_type: 'view' as const,
    user_id: `clock-${i}`,
  }));
  return { events, clock, ref, total: events.length + clock.length };
}

/** A crash spec's own topics and group, its ingest and pool, and the processor it kills. */
export interface CrashSuite {
  topics: TopicNames;
  appId: string;
  env: Record<string, string>;
  ingest: RunningService;
  pool: Pool;
  /** The processor under test; SIGKILLed after the spec if still running. */
  proc?: RunningService;
}

/** Registers the suite's beforeAll (ingest ready, a pool) and afterAll (all stopped, topics deleted). */
export function useCrashSuite(name: string, env: Record<string, string>): CrashSuite {
  const prefix = `${uniqueName(name)}.`;
  // ingest and pool are set in beforeAll, before any test reads them.
  const suite = {
    topics: topicNames(prefix),
    appId: `${prefix}clickstream-sessionizer`,
    env: { KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: String(PARTITIONS), ...env },
  } as unknown as CrashSuite;
  beforeAll(async () => {
    suite.pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    suite.ingest = await startService('ingest', suite.env);
    await waitForHttpOk(suite.ingest, '/health/ready', 60_000);
  });
  afterAll(async () => {
    await Promise.all([suite.ingest?.stop(), suite.proc?.stop('SIGKILL')]);
    await suite.pool?.end();
    await deleteTopics(testKafka(), Object.values(suite.topics)).catch(() => undefined);
  });
  return suite;
}
