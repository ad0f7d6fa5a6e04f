import { Partitioners } from 'kafkajs';
import { readCsvEvents, validateEvent } from '@clickstream/contracts';
import {
  comparable,
  fixture,
  headersOnlyStatus,
  PARTITIONS,
  post,
  postStatus,
  readAll,
  startIngest,
} from './ingest-harness';

const t0 = Date.now() - 3_600_000;

function validEvent(i: number) {
  return {
    event_id: `evt-${i}`,
    event_time: new Date(t0 + i * 100).toISOString(),
    event_type: ['view', 'cart', 'purchase', 'page_view'][i % 4],
    user_id: `user-${i % 250}`,
    product_id: `p-${i % 97}`,
    price: (i % 50) + 0.99,
  };
}

/** 37 invalid events, each wrong in one named field. */
const INVALID: Array<[string, (e: Record<string, unknown>) => void]> = [
  ['event_type', (e) => (e.event_type = 'teleport')],
  ['price', (e) => (e.price = -1)],
  ['user_id', (e) => delete e.user_id],
  ['event_time', (e) => (e.event_time = '2024-13-45T00:00:00Z')],
  ['event_time', (e) => (e.event_time = new Date(Date.now() + 3 * 86_400_000).toISOString())],
  ['quantity', (e) => (e.quantity = 0)],
  ['currency', (e) => (e.currency = 'dollars')],
];

describe('POST /v1/events on a real broker', () => {
  let ingest: Awaited<ReturnType<typeof startIngest>>;

  beforeAll(async () => {
    ingest = await startIngest();
  });

  afterAll(() => ingest.cleanup());

  it('a 10,000-event request with 37 invalid events: 202, 9963 keyed events once each, 37 DLQ records naming the field', async () => {
    const events: Array<Record<string, unknown>> = Array.from({ length: 10_000 }, (_, i) =>
      validEvent(i),
    );
    const invalidAt = new Map<number, string>();
    for (let k = 0; k < 37; k++) {
      const index = 13 + k * 269;
      const [field, spoil] = INVALID[k % INVALID.length];
      spoil(events[index]);
      invalidAt.set(index, field);
    }

    const answer = await post(ingest.svc, '/v1/events', JSON.stringify(events), 'application/json');

    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(9963);
    expect(answer.body.rejected).toBe(37);
    expect(answer.body.errors.map((e) => [e.index, e.field])).toEqual([...invalidAt]);
    for (const e of answer.body.errors) expect(e.message.length).toBeGreaterThan(5);

    const published = await readAll(ingest.topics.events);
    const ids = published.map((r) => r.json.event_id as string);
    expect(ids.length).toBe(9963);
    expect(new Set(ids).size).toBe(9963);
    const expectedIds = events.filter((_, i) => !invalidAt.has(i)).map((e) => e.event_id);
    expect(new Set(ids)).toEqual(new Set(expectedIds));
    for (const r of published) expect(r.key).toBe(r.json.user_id);
    // All of a user's events are on one partition: the one Java's murmur2 partitioner picks (kafkajs's
    // DefaultPartitioner computes it the same way), so every Kafka client agrees on where a user is.
    const murmur2 = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      partitionErrorCode: 0,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
    for (const r of published) {
      expect(r.partition).toBe(
        murmur2({
          topic: ingest.topics.events,
          partitionMetadata,
          message: { key: r.key, value: null },
        }),
      );
    }
    expect(new Set(published.map((r) => r.partition)).size).toBe(PARTITIONS);

    const dlq = await readAll(ingest.topics.eventsDlq);
    expect(dlq.length).toBe(37);
    const byId = new Map(
      dlq.map((r) => [(r.json.original as { event_id: string }).event_id, r.json]),
    );
    for (const [index, field] of invalidAt) {
      const record = byId.get(`evt-${index}`)!;
      expect(record).toEqual(
        expect.objectContaining({ reason: 'validation_failed', field, source: 'ingest' }),
      );
      expect(record.original).toEqual(events[index]);
    }
  });

  it('NDJSON gives the same events as the equivalent JSON array', async () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      ...validEvent(i),
      event_id: undefined,
      user_id: `ndjson-${i % 3}`,
    }));
    const json = await post(ingest.svc, '/v1/events', JSON.stringify(events), 'application/json');
    const ndjson = await post(
      ingest.svc,
      '/v1/events',
      events.map((e) => JSON.stringify(e)).join('\n'),
      'application/x-ndjson',
    );
    expect([json.status, json.body.accepted, ndjson.status, ndjson.body.accepted]).toEqual([
      202, 20, 202, 20,
    ]);

    const published = (await readAll(ingest.topics.events)).filter((r) =>
      String(r.json.user_id).startsWith('ndjson-'),
    );
    expect(published.length).toBe(40);
    const sort = (xs: Array<Record<string, unknown>>) =>
      xs.map((x) => JSON.stringify(comparable(x))).sort();
    const all = sort(published.map((r) => r.json));
    // Each event appears exactly twice: once from the JSON request, once from the NDJSON request.
    expect(all.filter((_, i) => i % 2 === 0)).toEqual(all.filter((_, i) => i % 2 === 1));
  });

  it.each([
    ['rees46', 'rees46-sample.csv'],
    ['retailrocket', 'retailrocket-sample.csv'],
    ['clicks', 'clicks-sample.csv'],
  ])('CSV in %s format gives the same events as the equivalent JSON', async (format, file) => {
    const csv = fixture(file);
    // The equivalent JSON: the same rows as contract events, sent as a JSON array.
    const equivalent: unknown[] = [];
    for await (const row of readCsvEvents(csv, 'auto'))
      if ('input' in row) equivalent.push(row.input);
    const expected = equivalent.map((e) => {
      const r = validateEvent(e);
      if (!r.ok) throw new Error(`fixture row is invalid: ${JSON.stringify(r.errors)}`);
      return JSON.stringify(comparable(r.event as unknown as Record<string, unknown>));
    });

    const before = (await readAll(ingest.topics.events)).length;
    const viaCsv = await post(ingest.svc, `/v1/events/csv?format=${format}`, csv, 'text/csv');
    const viaAuto = await post(ingest.svc, '/v1/events/csv?format=auto', csv, 'text/csv');
    const viaJson = await post(
      ingest.svc,
      '/v1/events',
      JSON.stringify(equivalent),
      'application/json',
    );
    for (const a of [viaCsv, viaAuto, viaJson])
      expect([a.status, a.body.accepted]).toEqual([202, expected.length]);

    const published = (await readAll(ingest.topics.events)).slice(0); // all, then keep the new ones
    expect(published.length).toBe(before + 3 * expected.length);
    const fresh = published.map((r) => JSON.stringify(comparable(r.json)));
    const counts = new Map<string, number>();
    for (const f of fresh) counts.set(f, (counts.get(f) ?? 0) + 1);
    for (const e of expected) expect(counts.get(e) ?? 0).toBeGreaterThanOrEqual(3);
    if (format === 'clicks') expect(expected.length).toBe(6); // 3 + 1 + 0 + 2 clicks
    if (format === 'retailrocket')
      expect(
        equivalent.some(
          (e) => (e as { properties?: { transactionid?: string } }).properties?.transactionid,
        ),
      ).toBe(true);
  });

  it('rejects wrong content types (415), oversized bodies and batches (413), and names a bad format (400)', async () => {
    expect(
      (
        await fetch(ingest.svc.url('/v1/events'), {
          method: 'POST',
          body: 'hello',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    const tooManyEvents = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => validEvent(i)));
    expect((await post(ingest.svc, '/v1/events', tooManyEvents, 'application/json')).status).toBe(
      413,
    );
    const tooLarge = JSON.stringify([{ ...validEvent(1), padding: 'x'.repeat(6 * 1024 * 1024) }]);
    expect(await postStatus(ingest.svc, '/v1/events', tooLarge, 'application/json')).toBe(413);
    // One event over INGEST_MAX_EVENT_BYTES is an invalid event (400 + DLQ), not a 413: see ingest-edges.
    const bad = await fetch(ingest.svc.url('/v1/events/csv?format=excel'), {
      method: 'POST',
      body: 'a,b\n1,2',
      headers: { 'content-type': 'text/csv' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('format must be one of');
  });
});

describe('API keys', () => {
  let ingest: Awaited<ReturnType<typeof startIngest>>;

  beforeAll(async () => {
    ingest = await startIngest({ INGEST_API_KEYS: 'k-one,k-two' });
  });

  afterAll(() => ingest.cleanup());

  it('needs a configured key as Bearer or x-api-key', async () => {
    const body = JSON.stringify(validEvent(1));
    expect((await post(ingest.svc, '/v1/events', body, 'application/json')).status).toBe(401);
    expect(
      (
        await post(ingest.svc, '/v1/events', body, 'application/json', {
          authorization: 'Bearer nope',
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await post(ingest.svc, '/v1/events', body, 'application/json', {
          authorization: 'Bearer k-two',
        })
      ).status,
    ).toBe(202);
    expect(
      (await post(ingest.svc, '/v1/events', body, 'application/json', { 'x-api-key': 'k-one' }))
        .status,
    ).toBe(202);
  });

  it('refuses a request without a valid key before reading its body (onRequest)', async () => {
    // 4 MB announced, not a byte of it sent: only a check ahead of the body parser can answer.
    for (const path of ['/v1/events', '/v1/events/csv']) {
      expect(await headersOnlyStatus(ingest.svc, path, 4_000_000)).toBe(401);
      expect(
        await headersOnlyStatus(ingest.svc, path, 4_000_000, { authorization: 'Bearer nope' }),
      ).toBe(401);
      expect(await headersOnlyStatus(ingest.svc, path, 4_000_000, { 'x-api-key': 'k-wrong' })).toBe(
        401,
      );
    }
  });

  it('leaves health and metrics open', async () => {
    expect((await fetch(ingest.svc.url('/health/ready'))).status).toBe(200);
    expect((await fetch(ingest.svc.url('/metrics'))).status).toBe(200);
  });
});
