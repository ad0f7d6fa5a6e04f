import { funnelOf } from './funnel';

describe('funnelOf', () => {
  it('counts a session for its highest stage and every earlier one', () => {
    const f = funnelOf(
      new Map([
        ['none', 10],
        ['view', 40],
        ['cart', 20],
        ['checkout', 10],
        ['purchase', 20],
      ]),
    );
    expect(f.sessions).toBe(100);
    expect(f.stages.map((s) => [s.stage, s.sessions])).toEqual([
      ['view', 90],
      ['cart', 50],
      ['checkout', 30],
      ['purchase', 20],
    ]);
    expect(f.stages[0].conversion_from_previous).toBeCloseTo(0.9);
    expect(f.stages[1].conversion_from_previous).toBeCloseTo(50 / 90);
    expect(f.stages[3].conversion_from_start).toBeCloseTo(0.2);
    expect(f.conversion_rate).toBeCloseTo(0.2);
  });

  it('is all zeros, never NaN, without sessions or with a stage nobody reached', () => {
    const empty = funnelOf(new Map());
    expect(empty.sessions).toBe(0);
    expect(empty.conversion_rate).toBe(0);
    expect(
      empty.stages.every(
        (s) =>
          s.sessions === 0 && s.conversion_from_previous === 0 && s.conversion_from_start === 0,
      ),
    ).toBe(true);
    const noCart = funnelOf(new Map([['view', 5]]));
    expect(noCart.stages.map((s) => s.conversion_from_previous)).toEqual([1, 0, 0, 0]);
  });

  it('sessions with an unknown stage count as sessions but reach no step', () => {
    const f = funnelOf(
      new Map([
        ['weird', 2],
        ['purchase', 2],
      ]),
    );
    expect(f.sessions).toBe(4);
    expect(f.stages[0].sessions).toBe(2);
    expect(f.conversion_rate).toBe(0.5);
  });
});
