import fc from 'fast-check';
import {
  EVENT_TYPE_INPUTS,
  MAX_PRICE,
  MAX_QUANTITY,
  topicNames,
  validateEvent,
} from '@clickstream/contracts';
import { RawRecord, StreamTask, TaskRepository, Topology } from '@clickstream/streams/internals';
import { aggregatorTopology } from '../../../services/aggregator/src/windows/aggregator.topology';
import { fraudTopology } from '../../../services/fraud-detector/src/fraud/fraud-detector.topology';
import { fraudConfigWith } from '../../../services/fraud-detector/src/fraud/rules/rule-config';
import { sessionizerTopology } from '../../../services/sessionizer/src/sessions/sessionizer.topology';
import { createMigratedDatabase } from '../../support/postgres';

/**
 * SPEC §2, as a property: whatever the contract accepts, the REAL sessionizer, aggregator and
 * fraud-detector topologies can commit into a real migrated Postgres (state stores, result tables,
 * outbox, offsets; one statement each, as the runtime commits). Events come from arbitraries full
 * of what Postgres refuses (NUL, lone surrogates, huge prices and quantities, deep nesting), so the
 * property fails as soon as one of the contract's rules is missing.
 */

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const HOUR = 3_600_000;
const topics = topicNames('storable.');
const RUNS = 200;

// --- arbitraries ------------------------------------------------------------------------------

const NASTY_CHARS = [
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '😀',
  'é',
  '中',
  '"',
  '\\',
  "'",
  '\n',
  '\u2028',
  '\ufeff',
  'a',
  '1',
];
const nastyString = fc.oneof(
  fc
    .array(fc.constantFrom(...NASTY_CHARS), { minLength: 1, maxLength: 6 })
    .map((cs) => cs.join('')),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
/**
 * Mostly a clean value, sometimes a nasty one: an event has a dozen fields, and most events must get
 * through (with values at the bounds) for the property to test what is stored.
 */
const rarely = <T, U>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 30, arbitrary: usual }, { weight: 1, arbitrary: odd });
const maybeNasty = <T>(clean: fc.Arbitrary<T>) => rarely(clean, nastyString);

const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'medium', maxDepth: 12 },
    maybeNasty(fc.string({ maxLength: 4 })),
    fc.constantFrom(0, -0, 1e308, -1e-308, 2 ** 53 + 1, true, false, null),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(maybeNasty(fc.constantFrom('k', 'é', 'ключ')), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Prices and quantities at the bounds (sums must still fit), sometimes beyond them. */
const price = rarely(
  fc.oneof(
    fc.constantFrom(MAX_PRICE, 999_999_999.99, 0.005),
    fc.double({ min: 0, max: MAX_PRICE, noNaN: true }),
  ),
  fc.constantFrom(1e17, 1e300, MAX_PRICE + 0.01),
);
const quantity = rarely(
  fc.oneof(fc.constant(MAX_QUANTITY), fc.integer({ min: 1, max: 5 })),
  fc.constantFrom(MAX_QUANTITY + 1, 1e9),
);

const eventArbitrary = fc.record(
  {
    // Up to 10 min ahead: a few are beyond the 5 min bound; out of order, so some are late.
    event_time: fc.integer({ min: NOW - 3 * HOUR, max: NOW + 10 * 60_000 }),
    // Purchases are frequent: they make the revenue sums.
    event_type: fc.oneof(
      { weight: 3, arbitrary: fc.constant('purchase') },
      { weight: 2, arbitrary: fc.constantFrom(...EVENT_TYPE_INPUTS) },
    ),
    user_id: maybeNasty(fc.oneof(fc.constantFrom('u1', 'u2', 'ü-😀'), fc.integer({ min: 0 }))),
    event_id: fc.option(maybeNasty(fc.uuid()), { nil: undefined }),
    session_id: fc.option(maybeNasty(fc.constantFrom('s1', 's2', 's3')), { nil: undefined }),
    product_id: fc.option(maybeNasty(fc.constantFrom('p1', 'p2')), { nil: undefined }),
    brand: fc.option(maybeNasty(fc.constant('acme')), { nil: undefined }),
    price: fc.option(price, { nil: undefined }),
    quantity: fc.option(quantity, { nil: undefined }),
    ip: fc.option(maybeNasty(fc.ipV4()), { nil: undefined }),
    country: fc.option(rarely(fc.constantFrom('DE', 'us', 'FR'), fc.constant('x\u0000')), {
      nil: undefined,
    }),
    user_agent: fc.option(maybeNasty(fc.constant('Mozilla/5.0')), { nil: undefined }),
    properties: fc.option(
      fc.dictionary(maybeNasty(fc.constantFrom('a', 'b')), jsonValue, { maxKeys: 2 }),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['event_time', 'event_type', 'user_id'] },
);
/** Unknown top-level fields, which end up in properties. */
const withExtras = fc
  .tuple(
    eventArbitrary,
    fc.dictionary(maybeNasty(fc.constantFrom('extra', 'x')), jsonValue, { maxKeys: 2 }),
  )
  .map(([event, extras]) => ({ ...extras, ...event }));
/**
 * Big spenders: a run of purchases at both bounds by one user, in time order and before the other
 * events (so none is late), so session, window and product revenue sums get as large as they can.
 */
const whales = fc
  .tuple(
    fc.integer({ min: 0, max: 30 }),
    fc.constantFrom('u1', 'u2'),
    fc.constantFrom(MAX_PRICE, 999_999_999.99),
  )
  .map(([count, user, unitPrice]) =>
    Array.from({ length: count }, (_, i) => ({
      event_time: NOW - 30 * 60_000 + i * 1000,
      event_type: 'purchase',
      user_id: user,
      product_id: 'p1',
      price: unitPrice,
      quantity: MAX_QUANTITY,
    })),
  );
const batchArbitrary = fc
  .tuple(whales, fc.array(withExtras, { minLength: 1, maxLength: 60, size: 'max' }))
  .map(([big, events]) => [...big, ...events]);

/** The four requests of issue 12 (each stalled a partition for good) and ten maximal purchases. */
const ISSUE_12_BATCH: unknown[] = [
  { event_time: NOW - 60_000, event_type: 'view', user_id: 'nul\u0000user' },
  { event_time: NOW - 59_000, event_type: 'view', user_id: 'sur\ud800x' },
  { event_time: NOW - 58_000, event_type: 'purchase', user_id: 'big', price: 1e17 },
  { event_time: NOW - 57_000, event_type: 'view', user_id: 'ok', properties: { a: 'x\u0000y' } },
  ...Array.from({ length: 10 }, (_, i) => ({
    event_time: NOW - 50_000 + i,
    event_type: 'purchase',
    user_id: 'whale',
    product_id: 'p1',
    price: MAX_PRICE,
    quantity: MAX_QUANTITY,
  })),
];

/**
 * A purchase of 2^52 cents and more (a safe integer the session state's signed varint cannot hold):
 * a random seed of this property found it in CI, 2026-12-07; kept here so every run tries it.
 */
const CENTS_ABOVE_2_52_BATCH: unknown[] = [
  {
    event_time: NOW - 60_000,
    event_type: 'purchase',
    user_id: 0,
    price: 45_035_996.275,
    quantity: MAX_QUANTITY,
  },
  { event_time: NOW - 60_000, event_type: 'page_view', user_id: 0 },
];

// --- driving the real topologies into Postgres --------------------------------------------------

function topologies(run: number): Topology[] {
  const id = (name: string) => `storable-${run}-${name}`;
  // Every user rule fires on its first events, so alerts (with IPs and countries) are stored too.
  const eager = { threshold: 0 };
  const cfg = fraudConfigWith({
    click_flood: eager,
    ip_hopping: eager,
    purchase_velocity: eager,
    high_value: eager,
    geo_velocity: eager,
  });
  return [
    sessionizerTopology({
      topics,
      gapMs: 30 * 60_000,
      maxDurationMs: 24 * HOUR,
      applicationId: id('sessionizer'),
    }),
    aggregatorTopology({
      topics,
      windowSizesMs: [60_000, 5 * 60_000, HOUR],
      applicationId: id('aggregator'),
    }),
    fraudTopology({ topics, cfg, applicationId: id('fraud') }),
  ];
}

/** What the runtime does with a task: claim, process, commit; then idle time closes everything. */
async function processAndCommit(
  repo: TaskRepository,
  topology: Topology,
  records: RawRecord[],
): Promise<void> {
  const identity = { appId: topology.applicationId, topic: topics.events, partition: 0 };
  const claimed = await repo.claim(identity);
  let wall = NOW;
  const task = new StreamTask(
    topology,
    topics.events,
    0,
    {
      applicationId: topology.applicationId,
      allowedLatenessMs: 60_000,
      idleTimeoutMs: 30_000,
      lateTopic: topics.late,
      deadLetterTopic: topics.eventsDlq,
      maxRetries: 0,
      clock: () => wall,
    },
    claimed,
  );
  task.process(records);
  await repo.commit(identity, claimed.epoch, task.takeCommit(), 0);
  wall += 3 * 24 * HOUR;
  task.punctuate();
  await repo.commit(identity, claimed.epoch, task.takeCommit(), 0);
}

describe('every event the contract accepts is storable by every processor (SPEC §2)', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let repo: TaskRepository;
  let run = 0;
  const seen = { accepted: 0, rejected: 0 };

  beforeAll(async () => {
    db = await createMigratedDatabase('storable');
    repo = new TaskRepository(db.pool);
  });

  afterAll(() => db?.drop());

  async function acceptedBatchCommits(batch: unknown[]): Promise<void> {
    const records: RawRecord[] = [];
    for (const raw of batch) {
      const result = validateEvent(raw, { now: NOW });
      if (!result.ok) {
        seen.rejected++;
        continue;
      }
      seen.accepted++;
      records.push({
        key: Buffer.from(result.event.user_id),
        value: Buffer.from(result.json),
        offset: String(records.length),
      });
    }
    run += 1;
    for (const topology of topologies(run)) await processAndCommit(repo, topology, records);
  }

  it('holds for the four requests of issue 12, a purchase of 2^52 cents and arbitrary nasty batches', async () => {
    await fc.assert(fc.asyncProperty(batchArbitrary, acceptedBatchCommits), {
      numRuns: RUNS,
      examples: [[ISSUE_12_BATCH], [CENTS_ABOVE_2_52_BATCH]],
    });

    // Not vacuous: both outcomes happened often (about 5 per run each; the seed is random, so the
    // bound leaves room), and results reached every result table.
    expect(seen.accepted).toBeGreaterThan(RUNS * 2);
    expect(seen.rejected).toBeGreaterThan(RUNS * 2);
    const counts = await db.pool.query<{
      sessions: string;
      windows: string;
      products: string;
      alerts: string;
      whale: string;
    }>(
      `SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM window_aggregates) AS windows,
              (SELECT count(*) FROM product_hour_aggregates) AS products, (SELECT count(*) FROM alerts) AS alerts,
              (SELECT max(revenue)::text FROM sessions WHERE user_id = 'whale') AS whale`,
    );
    const row = counts.rows[0];
    for (const table of ['sessions', 'windows', 'products', 'alerts'] as const)
      expect(Number(row[table])).toBeGreaterThan(0);
    // Ten purchases at the bounds: 10 × 1e9 × 1e6, beyond what numeric(18,2) could hold.
    expect(row.whale).toBe('10000000000000000.00');
  });
});
