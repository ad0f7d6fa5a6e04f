import { Registry } from 'prom-client';
import { StreamsError } from '../core/errors';
import { ConsumerCrashes } from './consumer-crashes';
import { streamsMetrics } from './metrics';

const fencedByBroker = () =>
  Object.assign(new Error('The broker rejected this static consumer …'), {
    type: 'FENCED_INSTANCE_ID',
    retriable: false,
  });

/** Crash handling over a fake app whose consumer starts fail `startFailures` times first. */
function setup(startFailures = 0) {
  const registry = new Registry();
  const lines: Array<{ msg: string; obj: Record<string, unknown> }> = [];
  const note = (obj: object, msg: string) =>
    lines.push({ msg, obj: obj as Record<string, unknown> });
  const calls: string[] = [];
  const fatal: StreamsError[] = [];
  let running = true;
  let failures = startFailures;
  const crashes = new ConsumerCrashes(
    {
      logger: { info: note, warn: note, error: note },
      restartBackoff: { initialMs: 1, maxMs: 2 },
      groupInstanceId: 'proc-0',
      onFatal: (err) => fatal.push(err),
    },
    'app',
    streamsMetrics(registry, 'svc'),
    {
      running: () => running,
      startConsumer: async () => {
        calls.push('start');
        if (failures-- > 0) throw new Error('broker away');
      },
      dropConsumer: async () => void calls.push('drop'),
      stop: async () => {
        calls.push('stop');
        running = false;
      },
    },
  );
  const counter = async (name: string) =>
    (await registry.getSingleMetric(`svc_${name}`)!.get()).values[0]?.value ?? 0;
  // Lets the handling's promises and its (1–2 ms) backoff timers run, until `done` or `ms`.
  const settled = async (done: () => boolean, ms = 2000) => {
    for (const end = Date.now() + ms; !done() && Date.now() < end;)
      await new Promise((resolve) => setTimeout(resolve, 1));
  };
  return { crashes, lines, calls, fatal, counter, settled, stopRunning: () => (running = false) };
}

describe('ConsumerCrashes', () => {
  it('counts and logs a crash kafkajs restarts itself, and builds nothing', async () => {
    const { crashes, lines, calls, counter, settled } = setup();
    crashes.crashed(new Error('connection closed'), true);
    await settled(() => calls.length > 0, 50);
    expect(calls).toEqual([]);
    expect(await counter('consumer_restarts_total')).toBe(1);
    expect(lines).toEqual([
      {
        msg: 'consumer crashed',
        obj: {
          processor: 'app',
          groupInstanceId: 'proc-0',
          err: 'connection closed',
          restart: true,
        },
      },
    ]);
  });

  it('builds a new consumer after a backoff when kafkajs gave up, retrying a failed start', async () => {
    const { crashes, lines, calls, settled, fatal } = setup(1);
    crashes.crashed(new Error('not retriable'), false);
    await settled(() => lines.some((l) => l.msg === 'consumer restarted'));
    expect(calls).toEqual(['drop', 'start', 'start']);
    expect(lines.map((l) => l.msg)).toEqual([
      'consumer crashed',
      'consumer restarting',
      'consumer restart failed',
      'consumer restarting',
      'consumer restarted',
    ]);
    expect(fatal).toEqual([]);
  });

  it('stops for good when fenced: one stop, one fatal error, counted, never restarted', async () => {
    const { crashes, lines, calls, fatal, counter, settled } = setup();
    crashes.crashed(fencedByBroker(), false);
    crashes.crashed(fencedByBroker(), false);
    await settled(() => fatal.length > 0);
    expect(calls).toEqual(['stop']);
    expect(fatal.map((e) => e.code)).toEqual(['INSTANCE_FENCED']);
    expect(crashes.fatalError).toBe(fatal[0]);
    expect(await counter('instance_fenced_total')).toBe(1);
    expect(await counter('consumer_restarts_total')).toBe(0);
    expect(lines).toEqual([
      {
        msg: 'group instance fenced',
        obj: expect.objectContaining({ groupInstanceId: 'proc-0', code: 'INSTANCE_FENCED' }),
      },
    ]);
  });

  it('ignores a fence reported while the app stops anyway', async () => {
    const { crashes, calls, fatal, settled, stopRunning } = setup();
    stopRunning();
    crashes.crashed(fencedByBroker(), false);
    await settled(() => calls.length > 0 || fatal.length > 0, 50);
    expect(calls).toEqual([]);
    expect(fatal).toEqual([]);
    expect(crashes.fatalError).toBeNull();
  });
});
