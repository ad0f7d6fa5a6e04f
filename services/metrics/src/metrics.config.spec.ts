import { parseEnv } from '@clickstream/platform';
import { lagGroups, metricsConfig, MetricsConfig } from './metrics.config';

describe('metricsConfig', () => {
  const load = (env: NodeJS.ProcessEnv): MetricsConfig => {
    const saved = process.env;
    process.env = env;
    try {
      return metricsConfig() as MetricsConfig;
    } finally {
      process.env = saved;
    }
  };

  it('defaults: no keys, pages of 100 up to 1000, the three processors with the topic prefix', () => {
    const c = load({});
    expect(c).toMatchObject({ apiKeys: [], defaultLimit: 100, maxLimit: 1000 });
    expect(lagGroups(c, 'p.')).toEqual([
      'p.clickstream-sessionizer',
      'p.clickstream-aggregator',
      'p.clickstream-fraud-detector',
    ]);
  });

  it('parses keys and groups; an empty METRICS_API_KEYS (compose default) means no auth', () => {
    expect(load({ METRICS_API_KEYS: 'a, b' }).apiKeys).toEqual(['a', 'b']);
    expect(load({ METRICS_API_KEYS: '' }).apiKeys).toEqual([]);
    expect(lagGroups(load({ METRICS_LAG_GROUPS: 'x,y' }), 'p.')).toEqual(['x', 'y']);
  });

  it('names a bad variable', () => {
    expect(() => parseEnv(metricsConfig.envShape, { METRICS_PAGE_MAX_LIMIT: '5000' })).toThrow(
      /METRICS_PAGE_MAX_LIMIT="5000": must be <= 1000/,
    );
  });

  it('reads admin keys as id:key items (a bare key gets a digest id); a bad one is named by position, never shown', () => {
    const long = 'k'.repeat(32);
    expect(load({ METRICS_ADMIN_API_KEYS: `alice:${long}, ${long}x` }).adminKeys).toEqual([
      { id: 'alice', key: long },
      { id: '', key: `${long}x` },
    ]);
    expect(load({}).adminKeys).toEqual([]);
    const short = () =>
      parseEnv(metricsConfig.envShape, { METRICS_ADMIN_API_KEYS: 'bob:tooshort-secret' });
    expect(short).toThrow(
      /METRICS_ADMIN_API_KEYS=\(19 characters, not shown\): entry 1: a key must have at least 16 characters/,
    );
    expect(short).not.toThrow(/tooshort/);
    expect(() =>
      parseEnv(metricsConfig.envShape, { METRICS_ADMIN_API_KEYS: `${long},b@d:${long}` }),
    ).toThrow(/entry 2: the id before ':' must be/);
  });
});
