import { RunningService, runToExit, startService, waitForHttpOk } from '../../support/services';

const SERVICES = ['ingest', 'sessionizer', 'aggregator', 'fraud-detector', 'metrics'];

describe.each(SERVICES)('service %s', (name) => {
  let svc: RunningService;

  beforeAll(async () => {
    svc = await startService(name);
  });

  afterAll(async () => {
    // Nest runs its shutdown hooks on SIGTERM, then re-raises the signal.
    const ended = await svc.stop('SIGTERM');
    expect(ended.code === 0 || ended.signal === 'SIGTERM').toBe(true);
  });

  it('is ready with Kafka and Postgres reachable (ingest checks Kafka alone: it has no database)', async () => {
    const res = await waitForHttpOk(svc, '/health/ready');
    const body = (await res.json()) as {
      status: string;
      details: Record<string, { status: string }>;
    };
    expect(body.status).toBe('ok');
    expect(body.details.kafka.status).toBe('up');
    if (name === 'ingest') expect(body.details.postgres).toBeUndefined();
    else expect(body.details.postgres.status).toBe('up');
  });

  it('is live and serves Prometheus metrics labelled with its name', async () => {
    await waitForHttpOk(svc, '/health/live');
    const res = await fetch(svc.url('/metrics'));
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain(`process_cpu_seconds_total{service="${name}"}`);
    expect(text).toMatch(/# TYPE nodejs_heap_size_used_bytes gauge/);
  });
});

describe('config validated at boot', () => {
  it.each([
    ['KAFKA_BROKERS', ''],
    ['KAFKA_BROKERS', 'not a broker'],
    ['DATABASE_URL', 'mysql://x'],
    ['HTTP_PORT', 'eighty'],
    ['LOG_LEVEL', 'loud'],
  ])('%s=%j stops the service with a message naming it', async (variable, value) => {
    const { code, output } = await runToExit('ingest', { [variable]: value });
    expect(code).not.toBe(0);
    expect(output).toContain(`Invalid environment variable ${variable}=`);
  });
});
