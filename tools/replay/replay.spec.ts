import { join } from 'node:path';
import { FakeClock } from '../shared/clock';
import type { EventSink, SendResult } from '../shared/event-sink';
import { Replay, ReplayConfig } from './replay';
import { summaryJson, summaryLines } from './report';
import { openSource, SourceItem } from './source';

/** Accepts events unless they have `bad: true`; records batches and the most sends at once. */
class FakeSink implements EventSink {
  readonly batches: unknown[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  failOnCall?: number;

  constructor(private readonly clock?: FakeClock) {}

  async send(events: unknown[]): Promise<SendResult> {
    this.batches.push(events);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await (this.clock ? this.clock.sleep(0) : Promise.resolve());
      await new Promise((resolve) => setImmediate(resolve));
      if (this.batches.length === this.failOnCall)
        throw new Error('POST gave up after 10 attempts: 503');
      const errors = events.flatMap((e, index) =>
        (e as { bad?: boolean }).bad ? [{ index, field: 'event_type', message: 'is bad' }] : [],
      );
      return { accepted: events.length - errors.length, rejected: errors.length, errors };
    } finally {
      this.inFlight -= 1;
    }
  }

  async close(): Promise<void> {}
}

async function* itemsOf(items: SourceItem[]): AsyncGenerator<SourceItem> {
  for (const item of items) yield item;
}

const at = (second: number, extra: Record<string, unknown> = {}): SourceItem => ({
  where: `line ${second}`,
  input: {
    event_time: Date.parse('2024-03-01T10:00:00Z') + second * 1000,
    event_type: 'view',
    user_id: 'u',
    ...extra,
  },
});

function replayOf(items: SourceItem[], config: Partial<ReplayConfig> & { sink: EventSink }) {
  return new Replay({ items: itemsOf(items), batch: 500, clock: new FakeClock(), ...config });
}

describe('Replay', () => {
  it('batches events, counts answers and rows rejected while reading, and locates rejections', async () => {
    const sink = new FakeSink();
    const items = [
      at(0),
      at(1, { bad: true }),
      { where: 'row 3', issue: { field: 'Clicks', message: 'must be an integer' } },
      at(3),
      at(4),
      at(5),
    ];
    const { stats, error, interrupted } = await replayOf(items, { sink, batch: 2 }).run();
    expect(error).toBeUndefined();
    expect(interrupted).toBe(false);
    expect(sink.batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(stats).toMatchObject({
      read: 6,
      sent: 6,
      accepted: 4,
      rejected: 2,
      readRejected: 1,
      requests: 3,
    });
    expect(stats.firstErrors).toEqual([
      { where: 'row 3', field: 'Clicks', message: 'must be an integer' },
      { where: 'line 1', field: 'event_type', message: 'is bad' },
    ]);
    expect([...stats.issuesByField]).toEqual([
      ['Clicks', 1],
      ['event_type', 1],
    ]);
  });

  it('replays the NDJSON fixture end to end', async () => {
    const source = openSource(join(__dirname, '__fixtures__', 'events.ndjson'), 'ndjson', false);
    const sink = new FakeSink();
    const { stats } = await new Replay({ items: source.items, sink, batch: 500 }).run();
    expect(stats).toMatchObject({
      read: 7,
      sent: 7,
      accepted: 6,
      rejected: 1,
      readRejected: 1,
      requests: 1,
    });
    expect(sink.batches[0]).toHaveLength(6);
  });

  it('paces by event time under --speedup, sending what is due before each wait', async () => {
    const clock = new FakeClock();
    const sink = new FakeSink(clock);
    // Event seconds 0, 0, 10, 10, 30 at 10x: due at 0, 0, 1 s, 1 s, 3 s.
    const items = [at(0), at(0), at(10), at(10), at(30)];
    const { stats } = await replayOf(items, { sink, clock, speedup: 10 }).run();
    expect(clock.sleeps.filter((ms) => ms > 0)).toEqual([1000, 2000]);
    expect(sink.batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(stats.elapsedMs).toBe(3000);
  });

  it('does not wait for events older than the first one, nor for short gaps', async () => {
    const clock = new FakeClock();
    const sink = new FakeSink(clock);
    const items = [at(100), at(50), at(100.005), at(101)];
    await replayOf(items, { sink, clock, speedup: 1 }).run();
    // Only the 1 s gap is waited for; the 5 ms one goes in the batch before it.
    expect(clock.sleeps.filter((ms) => ms > 0)).toEqual([1000]);
    expect(sink.batches.map((b) => b.length)).toEqual([3, 1]);
  });

  it('holds --rate with small batches', async () => {
    const clock = new FakeClock();
    const sink = new FakeSink(clock);
    const items = Array.from({ length: 100 }, (_, i) => at(i));
    const { stats } = await replayOf(items, { sink, clock, rate: 50, batch: 500 }).run();
    expect(sink.batches.map((b) => b.length)).toEqual(Array(20).fill(5)); // 50/s → 5 per request
    // The first batch goes at once; the other 95 events take 95/50 s less the 5-event burst.
    expect(stats.elapsedMs).toBe(1800);
    expect(stats.sent).toBe(100);
  });

  it('stops at the first failed send and reports it with what was answered', async () => {
    const sink = new FakeSink();
    sink.failOnCall = 2;
    const items = Array.from({ length: 10 }, (_, i) => at(i));
    const outcome = await replayOf(items, { sink, batch: 3 }).run();
    expect((outcome.error as Error).message).toMatch(/gave up after 10 attempts/);
    expect(sink.batches).toHaveLength(2);
    expect(outcome.stats).toMatchObject({ sent: 3, accepted: 3, rejected: 0 });
    const json = JSON.parse(summaryJson(outcome));
    expect(json).toMatchObject({
      sent: 3,
      accepted: 3,
      complete: false,
      error: 'POST gave up after 10 attempts: 503',
    });
    expect(
      summaryLines(outcome, { file: 'f', format: 'ndjson', target: 't', pacing: 'p' })[0],
    ).toBe('replay FAILED');
  });

  it('stops reading when the file fails, keeping what was sent', async () => {
    async function* broken(): AsyncGenerator<SourceItem> {
      yield at(0);
      throw new Error('CSV header "a,b" matches no known format');
    }
    const outcome = await new Replay({ items: broken(), sink: new FakeSink(), batch: 10 }).run();
    expect((outcome.error as Error).message).toMatch(/matches no known format/);
    expect(outcome.stats.sent).toBe(0); // the partial batch is not sent after a read error
  });

  it('honours --limit', async () => {
    const sink = new FakeSink();
    const { stats } = await replayOf(
      Array.from({ length: 10 }, (_, i) => at(i)),
      { sink, limit: 4 },
    ).run();
    expect(stats.read).toBe(4);
    expect(sink.batches.flat()).toHaveLength(4);
  });

  it('stops reading on abort but sends what it read, and cuts a pacing wait short', async () => {
    const abort = new AbortController();
    const sink = new FakeSink();
    async function* slow(): AsyncGenerator<SourceItem> {
      yield at(0);
      yield at(3600); // an hour later at 1x: the replay waits...
      yield at(3601);
    }
    const replay = new Replay({ items: slow(), sink, batch: 10, speedup: 1, signal: abort.signal });
    const running = replay.run();
    setTimeout(() => abort.abort(), 20);
    const outcome = await running;
    expect(outcome.interrupted).toBe(true);
    expect(outcome.stats.elapsedMs).toBeLessThan(5000);
    expect(sink.batches.flat()).toHaveLength(2); // the first before the wait, the one read before the abort
    expect(JSON.parse(summaryJson(outcome))).toMatchObject({ complete: false, interrupted: true });
  });

  it('keeps at most --concurrency sends in flight', async () => {
    const items = Array.from({ length: 50 }, (_, i) => at(i));
    const one = new FakeSink();
    await replayOf(items, { sink: one, batch: 5 }).run();
    expect(one.maxInFlight).toBe(1);
    const four = new FakeSink();
    const { stats } = await replayOf(items, { sink: four, batch: 5, concurrency: 4 }).run();
    expect(four.maxInFlight).toBe(4);
    expect(stats.sent).toBe(50);
  });
});

describe('summary', () => {
  it('ends with one JSON line holding the documented keys', async () => {
    const clock = new FakeClock();
    const replay = new Replay({
      items: itemsOf([at(0), at(1, { bad: true })]),
      sink: new FakeSink(),
      batch: 10,
      clock,
      speedup: 1,
    });
    const outcome = await replay.run();
    const json = summaryJson(outcome);
    expect(json).not.toContain('\n');
    expect(JSON.parse(json)).toEqual({
      sent: 2,
      accepted: 1,
      rejected: 1,
      duration_s: 1,
      rate_eps: 2,
      read_rejected: 0,
      requests: 2,
      complete: true,
    });
    const lines = summaryLines(outcome, {
      file: 'e.ndjson',
      format: 'ndjson',
      target: 'http://x/v1/events',
      pacing: '--speedup 1x',
    });
    expect(lines).toEqual([
      'replay done',
      '  file       e.ndjson (ndjson)',
      '  to         http://x/v1/events',
      '  pacing     --speedup 1x',
      '  sent       2 events (2 requests)',
      '  accepted   1',
      '  rejected   1',
      '  duration   1.0 s',
      '  rate       2 events/s',
      '  issues     event_type 1',
      '  first rejections:',
      '    line 1: event_type is bad',
    ]);
  });
});
