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
    expect(lagGroups(c, 'p.')).toEqual(['p.clickstream-sessionizer', 'p.clickstream-aggregator', 'p.clickstream-fraud-detector']);
  });

  it('parses keys and groups; an empty METRICS_API_KEYS (compose default) means no auth', () => {
    expect(load({ METRICS_API_KEYS: 'a, b' }).apiKeys).toEqual(['a', 'b']);
    expect(load({ METRICS_API_KEYS: '' }).apiKeys).toEqual([]);
    expect(lagGroups(load({ METRICS_LAG_GROUPS: 'x,y' }), 'p.')).toEqual(['x', 'y']);
  });

  it('names a bad variable', () => {
    expect(() => parseEnv(metricsConfig.envShape, { METRICS_PAGE_MAX_LIMIT: '5000' })).toThrow(/METRICS_PAGE_MAX_LIMIT="5000": must be <= 1000/);
  });
});
