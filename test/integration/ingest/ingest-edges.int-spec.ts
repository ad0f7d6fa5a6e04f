import { createHash } from 'node:crypto';
import { freePort } from '../../support/services';
import { Answer, post, readAll, startIngest } from './ingest-harness';

/**
 * Issue 12, through the real ingest on a real broker: every event a processor could not store is a
 * 400 with the field named and a DLQ record (JSON, NDJSON and CSV alike); oversized events and
 * NDJSON lines are invalid events, not a refused request; broken CSV is a 400 naming its line. This
 * ingest has DATABASE_URL on a closed port: it needs no Postgres.
 */

const TEXT = 'must be text without NUL (U+0000) or lone surrogates';
const recent = (secondsAgo = 0) => new Date(Date.now() - secondsAgo * 1000).toISOString();

type Dlq = Awaited<ReturnType<typeof readAll>>;

/** The DLQ records of originals with this marker (every test sends its own). */
async function deadLetters(topic: string, marker: string): Promise<Dlq> {
  return (await readAll(topic)).filter((r) => JSON.stringify(r.json.original).includes(marker));
}

function expectRejected(
  answer: Answer,
  errors: Array<{ index: number; field: string; message: string | RegExp }>,
): void {
  expect(answer.status).toBe(400);
  expect(answer.body.accepted).toBe(0);
  expect(answer.body.errors).toEqual(
    errors.map((e) => ({
      ...e,
      message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message),
    })),
  );
}

describe('ingest edges (SPEC §2, §3)', () => {
  let ingest: Awaited<ReturnType<typeof startIngest>>;

  beforeAll(async () => {
    const closed = await freePort();
    ingest = await startIngest({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/nowhere` });
  });

  afterAll(() => ingest.cleanup());

  it('is ready on Kafka alone, with no Postgres reachable, and accepts events', async () => {
    const res = await fetch(ingest.svc.url('/health/ready'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      details: Record<string, { status: string }>;
    };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.details)).toEqual(['kafka']);
    const answer = await post(
      ingest.svc,
      '/v1/events',
      JSON.stringify({ event_time: recent(), event_type: 'view', user_id: 'nodb' }),
      'application/json',
    );
    expect(answer.status).toBe(202);
  });

  describe("issue 12's four requests: 400 and a DLQ record naming the field", () => {
    const requests = (marker: string) => [
      { event_time: recent(4), event_type: 'view', user_id: `${marker}nul\u0000user` },
      { event_time: recent(3), event_type: 'view', user_id: `${marker}sur\ud800x` },
      { event_time: recent(2), event_type: 'purchase', user_id: `${marker}big`, price: 1e17 },
      {
        event_time: recent(1),
        event_type: 'view',
        user_id: `${marker}ok`,
        properties: { a: 'x\u0000y' },
      },
    ];
    const expected = (marker: string) => [
      { field: 'user_id', message: `${TEXT} (got "${marker}nul\\u0000user")` },
      { field: 'user_id', message: `${TEXT} (got "${marker}sur\\ud800x")` },
      { field: 'price', message: 'must be a number from 0 to 1000000000 (got 100000000000000000)' },
      { field: 'properties.a', message: `${TEXT} (got "x\\u0000y")` },
    ];

    it.each([
      ['one JSON object per request', 'application/json', 'json-'],
      ['NDJSON lines', 'application/x-ndjson', 'ndjson-'],
    ])('as %s', async (_label, contentType, marker) => {
      const sent = requests(marker);
      const answers: Answer[] = [];
      // JSON.stringify writes "\u0000" and "\ud800" escapes, exactly as a client sends them.
      for (const event of sent)
        answers.push(await post(ingest.svc, '/v1/events', JSON.stringify(event), contentType));
      expected(marker).forEach((e, k) => expectRejected(answers[k], [{ index: 0, ...e }]));

      // Keyed by user_id, the records spread over partitions: compared in the order of their message.
      // The original is kept as sent (JSON on Kafka escapes what Postgres or a terminal cannot take).
      const byMessage = (rows: unknown[][]) =>
        rows.sort((a, b) => String(a[1]).localeCompare(String(b[1])));
      const dlq = await deadLetters(ingest.topics.eventsDlq, marker);
      expect(
        byMessage(
          dlq.map((r) => [
            r.json.field,
            r.json.message,
            r.json.reason,
            r.json.source,
            r.json.original,
          ]),
        ),
      ).toEqual(
        byMessage(
          expected(marker).map((e, k) => [
            e.field,
            e.message,
            'validation_failed',
            'ingest',
            sent[k],
          ]),
        ),
      );
      const published = (await readAll(ingest.topics.events)).filter((r) =>
        String(r.json.user_id).startsWith(marker),
      );
      expect(published).toEqual([]);
    });

    it('as CSV rows (a NUL in a cell; CSV cannot carry a lone surrogate)', async () => {
      const csv = `Timestamp,User_ID,Clicks\n${recent()},csv-nul\u0000user,1\n${recent()},csv-fine,1\n`;
      const answer = await post(ingest.svc, '/v1/events/csv?format=clicks', csv, 'text/csv');
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({
        accepted: 1,
        rejected: 1,
        errors: [{ index: 0, field: 'user_id', message: `${TEXT} (got "csv-nul\\u0000user")` }],
      });
      const [record] = await deadLetters(ingest.topics.eventsDlq, 'csv-nul');
      expect(record.json).toMatchObject({
        field: 'user_id',
        original: { user_id: 'csv-nul\u0000user' },
      });
    });
  });

  it('rejects an event 6 min ahead of received_at (the default bound is 5 min)', async () => {
    const ahead = {
      event_time: new Date(Date.now() + 6 * 60_000).toISOString(),
      event_type: 'view',
      user_id: 'future-skew',
    };
    expectRejected(
      await post(ingest.svc, '/v1/events', JSON.stringify(ahead), 'application/json'),
      [{ index: 0, field: 'event_time', message: /^must be at most 5 min in the future/ }],
    );
  });

  it('an event over 64 KiB as stored is an invalid event of its own (400 + DLQ); the others go through', async () => {
    const events = [
      { event_time: recent(), event_type: 'view', user_id: 'size-fits' },
      { event_time: recent(), event_type: 'view', user_id: 'size-big', pad: 'x'.repeat(70_000) },
      {
        event_time: recent(),
        event_type: 'view',
        user_id: 'size-huge',
        pad: 'é'.repeat(1_000_000),
      },
    ];
    const answer = await post(ingest.svc, '/v1/events', JSON.stringify(events), 'application/json');
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.errors).toEqual([
      {
        index: 1,
        field: '(root)',
        message: expect.stringMatching(
          /^must be at most 65536 bytes as stored \(got 70\d{3} bytes\)$/,
        ),
      },
      {
        index: 2,
        field: '(root)',
        message: expect.stringMatching(
          /^must be at most 65536 bytes as stored \(got 2000\d{3} bytes\)$/,
        ),
      },
    ]);
    const [big] = await deadLetters(ingest.topics.eventsDlq, 'size-big');
    expect(big.json.original).toEqual(events[1]);
    // 2 MB does not fit a Kafka record: the DLQ record keeps a head, the size and the hash.
    const [huge] = await deadLetters(ingest.topics.eventsDlq, 'size-huge');
    const text = JSON.stringify(events[2]);
    expect(huge.json.original_cut).toEqual({
      bytes: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
    });
    expect(text.startsWith(huge.json.original as string)).toBe(true);
  });

  it('an NDJSON line over the limit is not parsed: an invalid event naming its line; the rest go through', async () => {
    const line = (user: string, pad = '') =>
      JSON.stringify({ event_time: recent(), event_type: 'view', user_id: user, pad });
    const long = line('ndjson-long', 'x'.repeat(70_000));
    const body = [line('ndjson-a'), '', long, line('ndjson-b')].join('\n');
    const answer = await post(ingest.svc, '/v1/events', body, 'application/x-ndjson');
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(2);
    expect(answer.body.errors).toEqual([
      {
        index: 1,
        field: '(root)',
        message: `must be at most 65536 bytes (INGEST_MAX_EVENT_BYTES; got ${Buffer.byteLength(long)} bytes on line 3, not parsed)`,
      },
    ]);
    const [record] = await deadLetters(ingest.topics.eventsDlq, 'ndjson-long');
    expect(record.json.original).toBe(long);
  });

  it.each([
    [
      'an unclosed quote',
      `${recent()},"csv-quote,1\n${recent()},csv-after,1\n`,
      /^malformed CSV at line 3 \(data row 2\): Quote Not Closed/,
    ],
    [
      'a row over the limit',
      `${recent()},csv-long-${'x'.repeat(70_000)},1\n`,
      /^malformed CSV at line 3 \(data row 2\): Max Record Size/,
    ],
  ])(
    'malformed CSV (%s) is a 400 naming the line, and nothing is accepted',
    async (_label, rows, message) => {
      const csv = `Timestamp,User_ID,Clicks\n${recent()},csv-before,1\n${rows}`;
      const res = await fetch(ingest.svc.url('/v1/events/csv?format=clicks'), {
        method: 'POST',
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
      const published = (await readAll(ingest.topics.events)).map((r) => r.json.user_id);
      for (const user of ['csv-before', 'csv-quote', 'csv-after'])
        expect(published).not.toContain(user);
    },
  );
});
