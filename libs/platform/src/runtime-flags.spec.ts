import { parseEnv, runtimeConfig, RuntimeConfig } from './config';
import { applyRuntimeConfig } from './runtime-flags';

describe('applyRuntimeConfig', () => {
  const applied = (cfg: RuntimeConfig) => {
    const set: string[] = [];
    const returned = applyRuntimeConfig(cfg, (flags) => set.push(flags));
    return { set, returned };
  };

  it("sets V8's heap growth factor from NODE_HEAP_GROWTH_PERCENT", () => {
    expect(
      parseEnv(runtimeConfig.envShape, { NODE_HEAP_GROWTH_PERCENT: '50' }).NODE_HEAP_GROWTH_PERCENT,
    ).toBe(50);
    expect(applied({ heapGrowthPercent: 50 })).toEqual({
      set: ['--heap-growing-percent=50'],
      returned: ['--heap-growing-percent=50'],
    });
    expect(applied({ heapGrowthPercent: 120 }).set).toEqual(['--heap-growing-percent=120']);
  });

  it("leaves V8's own choice with 0, the default", () => {
    expect(parseEnv(runtimeConfig.envShape, {})).toEqual({ NODE_HEAP_GROWTH_PERCENT: 0 });
    expect(applied({ heapGrowthPercent: 0 })).toEqual({ set: [], returned: [] });
  });

  it('refuses a value that is not an integer from 0 to 300, naming the variable', () => {
    for (const value of ['-1', '301', '1.5', 'lots'])
      expect(() => parseEnv(runtimeConfig.envShape, { NODE_HEAP_GROWTH_PERCENT: value })).toThrow(
        `NODE_HEAP_GROWTH_PERCENT="${value}"`,
      );
  });
});
