import {
  EVENT_TYPES,
  EVENT_TYPE_ALIASES,
  EVENT_TYPE_INPUTS,
  FUNNEL_STAGES,
  canonicalEventType,
  funnelRank,
  funnelStageOf,
  isEventType,
  maxFunnelStage,
  toCanonicalEventType,
} from './event-types';

describe('event types', () => {
  it.each([
    ['add_to_cart', 'cart'],
    ['addtocart', 'cart'],
    ['transaction', 'purchase'],
    ['pageView', 'page_view'],
  ] as const)('maps the alias %s to %s', (alias, canonical) => {
    expect(EVENT_TYPE_ALIASES[alias]).toBe(canonical);
    expect(canonicalEventType(alias)).toBe(canonical);
    expect(toCanonicalEventType(alias)).toBe(canonical);
  });

  it('maps each canonical type to itself', () => {
    for (const type of EVENT_TYPES) expect(canonicalEventType(type)).toBe(type);
  });

  it('accepts exactly the canonical types and the aliases as input', () => {
    expect(EVENT_TYPE_INPUTS).toEqual([
      ...EVENT_TYPES,
      'add_to_cart',
      'addtocart',
      'transaction',
      'pageView',
    ]);
  });

  it.each(['foo', '', 'VIEW', 'AddToCart', 'constructor', 'toString', '__proto__'])(
    'knows no type called %j',
    (name) => {
      expect(canonicalEventType(name)).toBeUndefined();
      expect(isEventType(name)).toBe(false);
    },
  );

  it('tells canonical types from aliases', () => {
    expect(isEventType('cart')).toBe(true);
    expect(isEventType('addtocart')).toBe(false);
    expect(isEventType(3)).toBe(false);
  });
});

describe('funnel stages', () => {
  it('ranks none < view < cart < checkout < purchase', () => {
    expect(FUNNEL_STAGES).toEqual(['none', 'view', 'cart', 'checkout', 'purchase']);
    expect(FUNNEL_STAGES.map(funnelRank)).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps the higher of two stages', () => {
    expect(maxFunnelStage('cart', 'view')).toBe('cart');
    expect(maxFunnelStage('view', 'purchase')).toBe('purchase');
    expect(maxFunnelStage('none', 'none')).toBe('none');
  });

  // Also pins the eight canonical types of SPEC §2 and their order.
  it('gives the stage each event type reaches', () => {
    expect(EVENT_TYPES.map((type) => [type, funnelStageOf(type)])).toEqual([
      ['page_view', 'none'],
      ['view', 'view'],
      ['click', 'none'],
      ['search', 'none'],
      ['cart', 'cart'],
      ['remove_from_cart', 'none'],
      ['checkout', 'checkout'],
      ['purchase', 'purchase'],
    ]);
  });
});
