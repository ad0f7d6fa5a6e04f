import { Registry } from 'prom-client';
import { StreamsApp } from '@clickstream/streams';
import { waitFor } from '../../support/wait-for';
import {
  counterApp,
  metricValue,
  recordingLogger,
  expectedFrom,
  makeEvents,
  produceEvents,
  readWholeTopic,
  setupCounterRun,
  totalsFromTable,
  waitForOutboxDrained,
  waitForProgress,
  windowsFromTopic,
} from './harness';

const PARTITIONS = 4;
const EVENTS = 20_000;

describe('two instances with one group instance id (static membership)', () => {
  let run: Awaited<ReturnType<typeof setupCounterRun>>;
  const apps: StreamsApp[] = [];

  beforeAll(async () => {
    run = await setupCounterRun('instfence', PARTITIONS);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await run.cleanup();
  });

  it('the fenced one stops for good with a named error, the other goes on alone, and the results equal the reference', async () => {
    const events = makeEvents(EVENTS, 200, 11);
    const expected = expectedFrom(events);
    await produceEvents(run.kafka, run.topics.input, events, PARTITIONS);
    const total = EVENTS + PARTITIONS;

    const first = { registry: new Registry(), log: recordingLogger(), fatal: [] as Error[] };
    const second = { registry: new Registry(), log: recordingLogger(), fatal: [] as Error[] };
    const make = (m: typeof first) =>
      counterApp(run, m.registry, {
        groupInstanceId: 'counter-0',
        logger: m.log.logger,
        restartBackoff: { initialMs: 100, maxMs: 500 },
        onFatal: (err) => m.fatal.push(err),
      });
    const a = make(first);
    apps.push(a);
    await a.start();
    await waitForProgress(run.pool, run.appId, Math.floor(total * 0.2), []);

    // The second joins with the same id: the broker hands it the first one's membership.
    const b = make(second);
    apps.push(b);
    await b.start();
    await waitFor(() => first.fatal.length > 0, {
      timeoutMs: 60_000,
      what: () =>
        `the first instance fenced; its log: ${JSON.stringify(first.log.lines.slice(-8))}; the second's: ${JSON.stringify(second.log.lines.slice(-8))}`,
    });

    expect(first.fatal.map((e) => (e as Error & { code?: string }).code)).toEqual([
      'INSTANCE_FENCED',
    ]);
    expect(first.fatal[0].message).toContain('counter-0');
    expect(await metricValue(first.registry, 'streams_instance_fenced_total')).toBe(1);
    const fencedLine = first.log.lines.find((l) => l.msg === 'group instance fenced');
    expect(fencedLine).toMatchObject({
      level: 'error',
      ctx: { groupInstanceId: 'counter-0', code: 'INSTANCE_FENCED' },
    });
    expect(a.ownedTasks()).toEqual([]);

    await waitForProgress(run.pool, run.appId, total, []);
    await waitForOutboxDrained(run.pool, run.appId);
    // The first never came back to fence the second: it restarted no consumer, and the second was
    // never fenced.
    expect(first.log.lines.filter((l) => l.msg === 'consumer restarting')).toEqual([]);
    expect(second.fatal).toEqual([]);
    expect(await metricValue(second.registry, 'streams_instance_fenced_total')).toBe(0);
    expect(b.ownedTasks().length).toBe(PARTITIONS);

    const windows = windowsFromTopic(
      await readWholeTopic(run.kafka, run.topics.output, PARTITIONS),
    );
    expect(windows).toEqual(expected.windows);
    expect(await totalsFromTable(run.pool, run.appId)).toEqual(expected.totals);
  });
});
