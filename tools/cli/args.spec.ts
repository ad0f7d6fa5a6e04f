import { DEFAULT_URL, parseCliArgs, parseDuration, UsageError } from './args';

const now = new Date('2024-01-01T12:00:00Z');

describe('cli args', () => {
  it('alerts --since 1h asks for alerts from an hour ago', () => {
    const o = parseCliArgs(['alerts', '--since', '1h'], {}, now);
    expect(o).toMatchObject({ command: 'alerts', url: DEFAULT_URL, query: { from: '2024-01-01T11:00:00.000Z' } });
  });

  it('alerts default to the last hour; sessions map --user to user_id', () => {
    expect(parseCliArgs(['alerts'], {}, now).query.from).toBe('2024-01-01T11:00:00.000Z');
    expect(parseCliArgs(['sessions', '--user', 'U', '--status', 'open'], {}, now).query).toEqual({ user_id: 'U', status: 'open' });
  });

  it('takes --url and --api-key, else METRICS_URL and METRICS_API_KEY', () => {
    expect(parseCliArgs(['overview', '--url', 'http://m:9/', '--api-key', 'k'], {}, now)).toMatchObject({ url: 'http://m:9', apiKey: 'k' });
    expect(parseCliArgs(['overview'], { METRICS_URL: 'http://e:1', METRICS_API_KEY: 'e' }, now)).toMatchObject({ url: 'http://e:1', apiKey: 'e' });
  });

  it.each([
    [['nope']],
    [['overview', '--user', 'x']],
    [['sessions', '--user']],
    [['alerts', '--since', '1x']],
    [['alerts', '--since', '0m']],
  ])('rejects %j', (argv) => {
    expect(() => parseCliArgs(argv, {}, now)).toThrow(UsageError);
  });

  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2d')).toBe(172_800_000);
  });

  it('--help', () => {
    expect(parseCliArgs(['--help'], {}, now).help).toBe(true);
  });
});
