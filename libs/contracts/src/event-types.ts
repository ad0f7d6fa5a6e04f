/**
 * Canonical event types of contract v1 (SPEC §2). Order is the order error messages list them in,
 * and the sessionizer's stored state indexes types by position: add new types at the end only.
 */
export const EVENT_TYPES = [
  'page_view',
  'view',
  'click',
  'search',
  'cart',
  'remove_from_cart',
  'checkout',
  'purchase',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Names that public datasets and trackers use for canonical types (REES46, Retailrocket, IBM demo shop). */
export const EVENT_TYPE_ALIASES = {
  add_to_cart: 'cart',
  addtocart: 'cart',
  transaction: 'purchase',
  pageView: 'page_view',
} as const satisfies Record<string, EventType>;

export type EventTypeAlias = keyof typeof EVENT_TYPE_ALIASES;

/** Every spelling the input contract accepts: canonical types first, then aliases. */
export const EVENT_TYPE_INPUTS = [
  ...EVENT_TYPES,
  ...(Object.keys(EVENT_TYPE_ALIASES) as EventTypeAlias[]),
] as const;

export type EventTypeInput = EventType | EventTypeAlias;

const CANONICAL_BY_INPUT: Readonly<Record<EventTypeInput, EventType>> = {
  ...(Object.fromEntries(EVENT_TYPES.map((type) => [type, type])) as Record<EventType, EventType>),
  ...EVENT_TYPE_ALIASES,
};

/** The canonical type for a canonical name or an alias; undefined for anything else. */
export function canonicalEventType(name: string): EventType | undefined {
  // Own keys only, so names such as "constructor" never resolve through the prototype.
  if (!Object.hasOwn(CANONICAL_BY_INPUT, name)) return undefined;
  return CANONICAL_BY_INPUT[name as EventTypeInput];
}

/** The canonical type of an input the contract already accepted. */
export function toCanonicalEventType(input: EventTypeInput): EventType {
  return CANONICAL_BY_INPUT[input];
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && canonicalEventType(value) === value;
}

/** Session funnel stages, lowest first (SPEC §5: none < view < cart < checkout < purchase). */
export const FUNNEL_STAGES = ['none', 'view', 'cart', 'checkout', 'purchase'] as const;

export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** Position of a stage in the funnel: none = 0 ... purchase = 4. */
export function funnelRank(stage: FunnelStage): number {
  return FUNNEL_STAGES.indexOf(stage);
}

/** The higher of two stages; a session's stage is the highest one any of its events reached. */
export function maxFunnelStage(a: FunnelStage, b: FunnelStage): FunnelStage {
  return funnelRank(b) > funnelRank(a) ? b : a;
}

/**
 * The funnel stage an event type reaches, or 'none' when it is not a funnel step. Only a product
 * `view` is a view: a `page_view` may be any page, as in GA/Snowplow e-commerce funnels.
 */
export function funnelStageOf(type: EventType): FunnelStage {
  switch (type) {
    case 'view':
    case 'cart':
    case 'checkout':
    case 'purchase':
      return type;
    default:
      return 'none';
  }
}
