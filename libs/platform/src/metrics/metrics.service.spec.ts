import { MetricsService } from './metrics.service';

describe('MetricsService.hotCounter', () => {
  const service = () => new MetricsService({ name: 'unit-test' } as never);

  it('shows every increment once, per label value, on each read', async () => {
    const metrics = service();
    const inc = metrics.hotCounter({ name: 'unit_test_events_total', help: 'events' }, 'rule');
    for (let i = 0; i < 5; i++) inc('a');
    inc('b', 3);
    const first = await metrics.registry.metrics();
    expect(first).toContain('unit_test_events_total{rule="a",service="unit-test"} 5');
    expect(first).toContain('unit_test_events_total{rule="b",service="unit-test"} 3');
    inc('a');
    const counter = metrics.registry.getSingleMetric('unit_test_events_total')!;
    const values = (await counter.get()).values.map((v) => [v.labels.rule, v.value]);
    expect(values).toEqual([
      ['a', 6],
      ['b', 3],
    ]);
    // Nothing pending is counted twice.
    expect(await metrics.registry.metrics()).toContain(
      'unit_test_events_total{rule="a",service="unit-test"} 6',
    );
  });

  it('gives the same function for the same name, and refuses a name a plain counter holds', async () => {
    const metrics = service();
    const one = metrics.hotCounter({ name: 'unit_test_hot_total', help: 'x' }, 'rule');
    expect(metrics.hotCounter({ name: 'unit_test_hot_total', help: 'x' }, 'rule')).toBe(one);
    metrics.counter({ name: 'unit_test_plain_total', help: 'x', labelNames: ['rule'] });
    expect(() => metrics.hotCounter({ name: 'unit_test_plain_total', help: 'x' }, 'rule')).toThrow(
      /already been registered/,
    );
  });
});
