/**
 * Fault suite, case 6 (issue 12): a hot key. 200,000 events of ONE user (one session: 100 ms apart,
 * 5.6 h in all) against 200,000 events of 2,000 users, each set raw on its own events topic and
 * database, drained by one compiled sessionizer. An open session stores only what its row needs
 * and its events newer than the watermark, so the hot user drains about as fast as the spread load
 * and its stored state stays small.
 */
import { ClickEvent, formatEventTime, validateEvent } from '@clickstream/contracts';
import { testKafka } from '../../support/kafka';
import { committedState } from '../../support/task-state';
import { waitFor } from '../../support/wait-for';
import { FaultStack, HOUR, START } from './fault-harness';

const EVENTS = 200_000;
const SPREAD_USERS = 2_000;
const SPACING_MS = 100;
const MAX_STATE_BYTES = 64 * 1024;

interface Drain {
  /** Service start to its first commit, ms (boot, consumer join, first batch). */
  firstCommitMs: number;
  /** First commit to lag 0, ms: the drain. */
  drainMs: number;
  /** Largest committed state value (stored bytes, uncompressed) seen while draining and after. */
  maxStateBytes: number;
}

/** The i-th event, as ingest stores it: price 1.50 × 2 on every 50th (a purchase). */
function eventOf(i: number, user: string, receivedAt: string): ClickEvent {
  const purchase = i % 50 === 0;
  return {
    event_id: `hot-key-${user}-${i}`,
    event_time: formatEventTime(START + i * SPACING_MS),
    event_type: purchase ? 'purchase' : i % 2 === 0 ? 'view' : 'cart',
    user_id: user,
    ...(purchase ? { price: 1.5, quantity: 2 } : { quantity: 1 }),
    currency: 'USD',
    properties: {},
    received_at: receivedAt,
  } as ClickEvent;
}

/** Produces `events`, starts one sessionizer, and measures how it drains them. */
async function drain(stack: FaultStack, events: ClickEvent[]): Promise<Drain> {
  await stack.produce(events); // 2,000 a request: one partition's batch stays under the broker's 1 MB
  const admin = testKafka('hot-key').admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(stack.topics.events)).map((o) => [o.partition, BigInt(o.high)]),
  );
  await admin.disconnect();
  const group = stack.group('sessionizer');
  const started = Date.now();
  await stack.start('sessionizer');
  let firstCommit = 0;
  let maxStateBytes = 0;
  const sample = async () => {
    for (const row of await committedState(stack.db.pool, group))
      maxStateBytes = Math.max(maxStateBytes, row.value.length);
  };
  await waitFor(
    async () => {
      stack.expectAllAlive();
      await sample();
      const { rows } = await stack.db.pool.query<{ partition: number; next_offset: string | null }>(
        `SELECT partition, next_offset FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
        [group, stack.topics.events],
      );
      const committed = new Map(rows.map((r) => [r.partition, BigInt(r.next_offset ?? 0)]));
      if (!firstCommit && [...committed.values()].some((n) => n > 0n)) firstCommit = Date.now();
      return [...ends].every(([p, end]) => (committed.get(p) ?? 0n) >= end);
    },
    { timeoutMs: 150_000, intervalMs: 100, what: `sessionizer lag 0 on ${events.length} events` },
  );
  const drained = Date.now();
  await sample(); // the open sessions' state at the end of the input
  return { firstCommitMs: firstCommit - started, drainMs: drained - firstCommit, maxStateBytes };
}

/** Clock events days later on every partition close every session; then the rows are compared. */
async function closeSessions(
  stack: FaultStack,
  expectedSessions: number,
): Promise<Array<{ user_id: string; event_count: number; revenue: string }>> {
  const clock = Array.from({ length: 120 }, (_, i) =>
    eventOf(0, `clock-${i}`, new Date().toISOString()),
  );
  for (const e of clock) e.event_time = formatEventTime(START + 72 * HOUR);
  await stack.produce(clock);
  const rows = async () =>
    (
      await stack.db.pool.query<{
        user_id: string;
        event_count: number;
        revenue: string;
        status: string;
      }>(
        `SELECT user_id, event_count, revenue, status FROM sessions WHERE user_id NOT LIKE 'clock-%'`,
      )
    ).rows;
  return waitFor(
    async () => {
      const r = await rows();
      return r.length === expectedSessions && r.every((s) => s.status === 'closed') && r;
    },
    { timeoutMs: 60_000, what: `${expectedSessions} sessions closed` },
  );
}

describe('fault: a hot key (200k events of one user against 200k of 2,000 users)', () => {
  const stacks: FaultStack[] = [];
  const drains: Record<'hot' | 'spread', Drain | undefined> = { hot: undefined, spread: undefined };
  const receivedAt = new Date().toISOString();

  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.cleanup()));
  });

  it('the events are what ingest would have stored', () => {
    for (const e of [
      eventOf(0, 'u', receivedAt),
      eventOf(1, 'u', receivedAt),
      eventOf(2, 'u', receivedAt),
    ]) {
      const { received_at: _, ...input } = e;
      const r = validateEvent(input, { now: Date.now(), receivedAt });
      expect(r.ok && r.event).toEqual(e);
    }
  });

  it('one user: one session of 200,000 events; the stored state stays under 64 KiB', async () => {
    const stack = await FaultStack.create('hot-key-one');
    stacks.push(stack);
    drains.hot = await drain(
      stack,
      Array.from({ length: EVENTS }, (_, i) => eventOf(i, 'hot-user', receivedAt)),
    );
    expect(drains.hot.maxStateBytes).toBeLessThan(MAX_STATE_BYTES);
    const [session] = await closeSessions(stack, 1);
    expect(session).toEqual(expect.objectContaining({ user_id: 'hot-user', event_count: EVENTS }));
    expect(Number(session.revenue)).toBe((EVENTS / 50) * 3);
    await stack.stopServices();
  });

  it('2,000 users: 2,000 sessions of 100 events', async () => {
    const stack = await FaultStack.create('hot-key-spread');
    stacks.push(stack);
    drains.spread = await drain(
      stack,
      Array.from({ length: EVENTS }, (_, i) => eventOf(i, `user-${i % SPREAD_USERS}`, receivedAt)),
    );
    expect(drains.spread.maxStateBytes).toBeLessThan(MAX_STATE_BYTES);
    const sessions = await closeSessions(stack, SPREAD_USERS);
    expect(sessions.every((s) => s.event_count === EVENTS / SPREAD_USERS)).toBe(true);
    await stack.stopServices();
  });

  it('the drain times are within 3× of each other', () => {
    const { hot, spread } = drains;
    if (!hot || !spread) throw new Error('both drains must have run');
    process.stdout.write(`[hot-key] drains: ${JSON.stringify({ hot, spread })}\n`);
    const ratio = Math.max(hot.drainMs, spread.drainMs) / Math.min(hot.drainMs, spread.drainMs);
    expect(ratio).toBeLessThanOrEqual(3);
  });
});
