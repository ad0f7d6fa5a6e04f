import { DEFAULT_URL, parseCliArgs, parseDuration, UsageError } from './args';

const now = new Date('2024-01-01T12:00:00Z');

describe('cli args', () => {
  it('alerts --since 1h asks for alerts from an hour ago', () => {
    const o = parseCliArgs(['alerts', '--since', '1h'], {}, now);
    expect(o).toMatchObject({
      command: 'alerts',
      url: DEFAULT_URL,
      query: { from: '2024-01-01T11:00:00.000Z' },
    });
  });

  it('alerts default to the last hour; sessions map --user to user_id', () => {
    expect(parseCliArgs(['alerts'], {}, now).query.from).toBe('2024-01-01T11:00:00.000Z');
    expect(parseCliArgs(['sessions', '--user', 'U', '--status', 'open'], {}, now).query).toEqual({
      user_id: 'U',
      status: 'open',
    });
  });

  it('takes --url and --api-key, else METRICS_URL and METRICS_API_KEY', () => {
    expect(
      parseCliArgs(['overview', '--url', 'http://m:9/', '--api-key', 'k'], {}, now),
    ).toMatchObject({ url: 'http://m:9', apiKey: 'k' });
    expect(
      parseCliArgs(['overview'], { METRICS_URL: 'http://e:1', METRICS_API_KEY: 'e' }, now),
    ).toMatchObject({ url: 'http://e:1', apiKey: 'e' });
  });

  it.each([
    [['nope']],
    [['overview', '--user', 'x']],
    [['sessions', '--user']],
    [['alerts', '--since', '1x']],
    [['alerts', '--since', '0m']],
    [['alerts', '--severity', 'high']],
    [['alerts', '--rule', 'click_flood,high_value']],
    [['sessions', '--status', 'gone']],
  ])('rejects %j', (argv) => {
    expect(() => parseCliArgs(argv, {}, now)).toThrow(UsageError);
  });

  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2d')).toBe(172_800_000);
  });

  it('alerts --follow takes rules, a minimum severity, a start and a limit, with Kafka from the environment', () => {
    const o = parseCliArgs(
      [
        'alerts',
        '--follow',
        '--rule',
        'click_flood,high_value',
        '--severity',
        'medium',
        '--since',
        '10m',
        '--limit',
        '5',
      ],
      { KAFKA_BROKERS: 'k1:9092,k2:9092', KAFKA_TOPIC_PREFIX: 'test.' },
      now,
    );
    expect(o.follow).toEqual({
      brokers: ['k1:9092', 'k2:9092'],
      topic: 'test.clickstream.alerts.v1',
      rules: new Set(['click_flood', 'high_value']),
      minSeverity: 'medium',
      sinceMs: now.getTime() - 600_000,
      limit: 5,
      json: false,
    });
    expect(parseCliArgs(['alerts', '--follow', '--json'], {}, now).follow).toMatchObject({
      brokers: ['127.0.0.1:19092'],
      rules: null,
      minSeverity: null,
      sinceMs: null,
      limit: null,
      json: true,
    });
  });

  it.each([
    [
      ['alerts', '--follow', '--rule', 'click_floods'],
      '--rule: must be one of click_flood, ip_hopping, purchase_velocity, high_value, geo_velocity, outlier_activity, traffic_spike, traffic_drop (got "click_floods")',
    ],
    [
      ['alerts', '--follow', '--severity', 'critical'],
      '--severity: must be one of low, medium, high (got "critical")',
    ],
    [
      ['alerts', '--follow', '--limit', '0'],
      '--limit: must be an integer from 1 to 1000000 (got "0")',
    ],
    [['alerts', '--follow', '--brokers', 'nohost'], '--brokers: broker "nohost" must be host:port'],
    [['alerts', '--follow', '--user', 'u'], 'unknown option "--user" for alerts --follow'],
  ])('alerts --follow rejects %j naming the value', (argv, message) => {
    expect(() => parseCliArgs(argv, {}, now)).toThrow(message);
  });

  it('--help', () => {
    expect(parseCliArgs(['--help'], {}, now).help).toBe(true);
    expect(parseCliArgs([], {}, now).help).toBe(true);
    expect(parseCliArgs(['rules', 'set', '--help'], {}, now).helpText?.split('\n')[0]).toBe(
      'usage: npm run cli -- rules set <rule> [options]',
    );
  });
});
