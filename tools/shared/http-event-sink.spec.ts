import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeClock } from './clock';
import { createEventSink, EventSinkError } from './event-sink';
import { backoffDelay, HttpEventSink, parseRetryAfter, parseSendResult } from './http-event-sink';

/**
 * A stand-in for ingest's POST /v1/events on 127.0.0.1: answers each request with the next of
 * `answers` (the last one repeats) and records what it got.
 */
interface Answer {
  status: number;
  /** Answer this late (to test the request timeout). */
  delayMs?: number;
  body?: unknown;
  headers?: Record<string, string>;
}
interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

class StubIngest {
  readonly received: Received[] = [];
  private server?: Server;

  constructor(private readonly answers: Array<Answer | ((req: Received) => Answer)>) {}

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const got: Received = {
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        this.received.push(got);
        const next = this.answers[Math.min(this.received.length, this.answers.length) - 1];
        const answer = typeof next === 'function' ? next(got) : next;
        const body =
          typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
        const reply = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
          res.end(body);
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

/** 202 accepting every NDJSON line of the request. */
const acceptAll = (req: Received): Answer => {
  const n = req.body.split('\n').filter((l) => l.trim()).length;
  return { status: 202, body: { accepted: n, rejected: 0, errors: [] } };
};

const events = [
  { event_time: '2024-03-01T10:00:00Z', event_type: 'view', user_id: 'u1' },
  { event_time: '2024-03-01T10:00:01Z', event_type: 'cart', user_id: 'u2' },
];

describe('HttpEventSink against a stub ingest', () => {
  let stub: StubIngest | undefined;
  afterEach(async () => {
    await stub?.stop();
    stub = undefined;
  });

  async function sinkFor(
    answers: Array<Answer | ((req: Received) => Answer)>,
    extra: Partial<ConstructorParameters<typeof HttpEventSink>[0]> = {},
  ) {
    stub = new StubIngest(answers);
    const url = await stub.start();
    const clock = new FakeClock();
    const sink = new HttpEventSink({ url, apiKey: 'k1', clock, random: () => 0.5, ...extra });
    return { sink, clock, stub };
  }

  it('POSTs the batch as NDJSON with the API key and returns the 202 body', async () => {
    const { sink, stub } = await sinkFor([acceptAll]);
    await expect(sink.send(events)).resolves.toEqual({ accepted: 2, rejected: 0, errors: [] });
    expect(stub.received).toHaveLength(1);
    const [req] = stub.received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/events');
    expect(req.headers['content-type']).toBe('application/x-ndjson');
    expect(req.headers.authorization).toBe('Bearer k1');
    expect(req.body.split('\n')).toEqual([
      JSON.stringify(events[0]),
      JSON.stringify(events[1]),
      '',
    ]);
  });

  it('retries 503 after Retry-After, then returns the 202 result', async () => {
    const busy: Answer = {
      status: 503,
      headers: { 'retry-after': '1' },
      body: { accepted: 0, rejected: 0, errors: [], message: 'backlog full' },
    };
    const { sink, clock, stub } = await sinkFor([busy, busy, acceptAll]);
    await expect(sink.send(events)).resolves.toEqual({ accepted: 2, rejected: 0, errors: [] });
    expect(stub.received).toHaveLength(3);
    // The same body each time: nothing of a 503 request was accepted, so resending is safe.
    expect(new Set(stub.received.map((r) => r.body)).size).toBe(1);
    // Retry-After: 1 outweighs the jittered backoff (0.5 × 250 ms, then 0.5 × 500 ms).
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  it('backs off with full jitter when 503 has no Retry-After', async () => {
    const { sink, clock } = await sinkFor([
      { status: 503, body: '' },
      { status: 503, body: '' },
      { status: 503, body: '' },
      acceptAll,
    ]);
    await sink.send(events);
    expect(clock.sleeps).toEqual([125, 250, 500]); // 0.5 × 250·2^k
  });

  it('gives up after maxAttempts with an error naming the status and body', async () => {
    const { sink, clock, stub } = await sinkFor(
      [{ status: 503, headers: { 'retry-after': '2' }, body: { message: 'Kafka unavailable' } }],
      {
        retry: { maxAttempts: 4 },
      },
    );
    const error = await sink.send(events).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventSinkError);
    expect((error as EventSinkError).message).toMatch(
      /gave up after 4 attempts in 6\.0 s: 503 Service Unavailable: \{"message":"Kafka unavailable"\}/,
    );
    expect((error as EventSinkError).status).toBe(503);
    expect((error as EventSinkError).attempts).toBe(4);
    expect(stub.received).toHaveLength(4);
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
  });

  it('gives up when the next wait would pass maxElapsedMs', async () => {
    const { sink, stub } = await sinkFor(
      [{ status: 503, headers: { 'retry-after': '30' }, body: '' }],
      {
        retry: { maxElapsedMs: 45_000 },
      },
    );
    await expect(sink.send(events)).rejects.toThrow(/gave up after 2 attempts in 30\.0 s: 503/);
    expect(stub.received).toHaveLength(2);
  });

  it('returns a 400 (all rejected) as a result, not an error', async () => {
    const body = {
      accepted: 0,
      rejected: 2,
      errors: [
        { index: 0, field: 'event_type', message: 'must be one of ...' },
        { index: 1, field: 'user_id', message: 'is required' },
      ],
    };
    const { sink, stub } = await sinkFor([{ status: 400, body }]);
    await expect(sink.send(events)).resolves.toEqual(body);
    expect(stub.received).toHaveLength(1);
  });

  it('throws at once on 401, naming status and body', async () => {
    const { sink, stub, clock } = await sinkFor([
      { status: 401, body: { statusCode: 401, message: 'missing or invalid API key' } },
    ]);
    const error = (await sink.send(events).catch((e: unknown) => e)) as EventSinkError;
    expect(error).toBeInstanceOf(EventSinkError);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(
      /failed: 401 Unauthorized \(missing or wrong API key.*\): \{"statusCode":401,"message":"missing or invalid API key"\}/,
    );
    expect(stub.received).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it.each([
    [413, /413 Payload Too Large \(request too large: send smaller batches\)/],
    [415, /415 Unsupported Media Type/],
    [500, /500 Internal Server Error/],
  ])('throws at once on %p', async (status, message) => {
    const { sink, stub } = await sinkFor([{ status, body: { message: 'no' } }]);
    await expect(sink.send(events)).rejects.toThrow(message);
    expect(stub.received).toHaveLength(1);
  });

  it('throws on a 400 that is not a result (e.g. an empty body)', async () => {
    const { sink } = await sinkFor([
      { status: 400, body: { statusCode: 400, message: 'the body holds no events' } },
    ]);
    await expect(sink.send(events)).rejects.toThrow(
      /400 Bad Request \(unexpected answer body\): .*holds no events/,
    );
  });

  it('splits a large send by events and bytes, and offsets error indexes', async () => {
    const rejectSecond = (req: Received): Answer => {
      const n = req.body.split('\n').filter((l) => l.trim()).length;
      return {
        status: 202,
        body: {
          accepted: n - 1,
          rejected: 1,
          errors: [{ index: 1, field: 'price', message: 'bad' }],
        },
      };
    };
    const { sink, stub } = await sinkFor([rejectSecond], { maxBatchEvents: 3 });
    const many = Array.from({ length: 7 }, (_, i) => ({ ...events[0], user_id: `u${i}` }));
    const result = await sink.send(many);
    expect(stub.received.map((r) => r.body.trim().split('\n').length)).toEqual([3, 3, 1]);
    expect(result.accepted).toBe(4);
    expect(result.rejected).toBe(3);
    expect(result.errors.map((e) => e.index)).toEqual([1, 4, 7]);
  });

  it('sends nothing for an empty batch', async () => {
    const { sink, stub } = await sinkFor([acceptAll]);
    await expect(sink.send([])).resolves.toEqual({ accepted: 0, rejected: 0, errors: [] });
    expect(stub.received).toHaveLength(0);
  });

  it('retries connection errors, then names the error', async () => {
    // A port that was just free: nothing listens there.
    const probe = new StubIngest([acceptAll]);
    const url = await probe.start();
    await probe.stop();
    const clock = new FakeClock();
    const sink = new HttpEventSink({ url, clock, random: () => 0, retry: { maxAttempts: 3 } });
    await expect(sink.send(events)).rejects.toThrow(
      /gave up after 3 attempts .*connection error: .*ECONNREFUSED/,
    );
    expect(clock.sleeps).toEqual([0, 0]);
  });

  it('retries a request that gets no answer in time', async () => {
    const slow = (req: Received): Answer => ({ ...acceptAll(req), delayMs: 2000 });
    const { sink, stub } = await sinkFor([slow, acceptAll], { requestTimeoutMs: 200 });
    await expect(sink.send(events)).resolves.toEqual({ accepted: 2, rejected: 0, errors: [] });
    expect(stub.received).toHaveLength(2);
  });

  it('is what createEventSink returns for to=http, with the path prefix of the URL kept', async () => {
    const sink = await createEventSink({ to: 'http', url: 'http://127.0.0.1:3001/api/' });
    expect(sink).toBeInstanceOf(HttpEventSink);
    expect((sink as HttpEventSink).endpoint).toBe('http://127.0.0.1:3001/api/v1/events');
    await sink.close();
    await expect(createEventSink({ to: 'http', url: 'ftp://x' })).rejects.toThrow(/must be http/);
  });
});

describe('backoffDelay', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('is full jitter under an exponential cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy, 0.999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, 0)).toBe(0);
  });

  it('never waits less than Retry-After', () => {
    expect(backoffDelay(1, policy, 0.5, 3000)).toBe(3000);
    expect(backoffDelay(5, policy, 0.9, 10)).toBe(900);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or bad values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});

describe('parseSendResult', () => {
  it('takes the documented shape and defaults missing errors', () => {
    expect(parseSendResult('{"accepted":1,"rejected":0}')).toEqual({
      accepted: 1,
      rejected: 0,
      errors: [],
    });
  });
  it('refuses anything else', () => {
    expect(parseSendResult('not json')).toBeUndefined();
    expect(parseSendResult('{"statusCode":400,"message":"x"}')).toBeUndefined();
    expect(parseSendResult('{"accepted":-1,"rejected":0}')).toBeUndefined();
    expect(parseSendResult('{"accepted":1,"rejected":0,"errors":{}}')).toBeUndefined();
  });
});
