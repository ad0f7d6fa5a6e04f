/**
 * The events of injected cases (fraud patterns and near misses): each case is a dedicated user
 * (`fraud-<rule>-<n>`, `nearmiss-<rule>-<n>`) with fixed events, built here.
 */
import { EventType } from '@clickstream/contracts';
import {
  BOT_USER_AGENT,
  cheapProducts,
  COUNTRIES,
  Country,
  getCatalogue,
  ipIn,
  pickProduct,
  Product,
  USER_AGENTS,
} from './catalogue';
import { EventContent } from './event-output';
import { MINUTE, TAG } from './generator-constants';
import { ResolvedConfig } from './generator-options';
import { hash32, Rng, uuidFrom } from './prng';
import { FraudPattern } from './rules';
import { spread } from './sampling';
import { categoryUrl, CHECKOUT_COMPLETE_URL, CHECKOUT_URL, productUrl, searchUrl } from './urls';

export interface InjectedEvent extends EventContent {
  t: number;
}

/** One injected case: a user, its events, and the window its rule is evaluated over. */
export interface Job {
  user: string;
  pattern: FraudPattern;
  kind: 'fraud' | 'nearmiss';
  windowStart: number;
  windowEnd: number;
  events: InjectedEvent[];
  note?: string;
}

/** Who sends an injected case's events, and from where. */
export interface InjectedContext {
  user: string;
  country: string;
  ip: string;
  ua: string;
  session: string;
}

export function userContext(
  rng: Rng,
  seed: number,
  user: string,
  country: Country,
  ua: string,
): InjectedContext {
  return {
    user,
    country: country.code,
    ip: ipIn(country, seed, hash32(...[...user].map((c) => c.charCodeAt(0)))),
    ua,
    session: uuidFrom(seed, TAG.session, rng.uint32()),
  };
}

export function botContext(
  rng: Rng,
  seed: number,
  user: string,
  countryCode: string,
): InjectedContext {
  const country = COUNTRIES.find((c) => c.code === countryCode) ?? COUNTRIES[0];
  return userContext(rng, seed, user, country, BOT_USER_AGENT);
}

export function browseEvent(
  rng: Rng,
  ctx: InjectedContext,
  t: number,
  type: EventType,
): InjectedEvent {
  const product = pickProduct(rng);
  const withProduct = type === 'view' || type === 'click';
  const term = product.category.terms[0];
  return {
    t,
    user: ctx.user,
    type,
    ip: ctx.ip,
    country: ctx.country,
    ua: ctx.ua,
    session: ctx.session,
    ...(withProduct ? { product, price: product.price } : {}),
    page: withProduct
      ? productUrl(product)
      : type === 'search'
        ? searchUrl(term)
        : categoryUrl(product),
    ...(type === 'search' ? { query: term } : {}),
  };
}

/** The outlier_activity user: `count` events spread over the given free minutes of its hour. */
export function outlierJob(
  cfg: ResolvedConfig,
  user: string,
  periodStart: number,
  minutes: number[],
  count: number,
): Job {
  const rng = new Rng(hash32(cfg.seed, TAG.job, 1000));
  const ctx = userContext(rng, cfg.seed, user, COUNTRIES[0], USER_AGENTS[0]);
  const times: number[] = [];
  const base = Math.floor(count / minutes.length);
  minutes.forEach((minute, i) =>
    times.push(
      ...spread(rng, minute, minute + MINUTE, base + (i < count % minutes.length ? 1 : 0)),
    ),
  );
  const types: EventType[] = ['view', 'view', 'view', 'click', 'page_view', 'search'];
  return {
    user,
    pattern: 'outlier_activity',
    kind: 'fraud',
    windowStart: periodStart,
    windowEnd: periodStart + cfg.th.outlierWindowMs,
    events: times.map((t) => browseEvent(rng, ctx, t, rng.pick(types))),
  };
}

export function ipHoppingEvents(
  rng: Rng,
  seed: number,
  user: string,
  times: number[],
  ips: number,
): InjectedEvent[] {
  const country = COUNTRIES[0];
  const ctx = userContext(rng, seed, user, country, USER_AGENTS[0]);
  const addresses = distinctIps(country, seed, user, ips);
  // Two repeats of the first address, then each address once: the last event brings the last new one.
  const order = [addresses[0], addresses[0], ...addresses.slice(0, ips)];
  return times.map((t, i) => ({ ...browseEvent(rng, ctx, t, 'view'), ip: order[i] }));
}

export function purchaseVelocityEvents(
  rng: Rng,
  seed: number,
  highValue: number,
  user: string,
  times: number[],
  purchases: number,
): InjectedEvent[] {
  const ctx = userContext(rng, seed, user, COUNTRIES[1], USER_AGENTS[1]);
  // Cheap items, so the purchases stay far below high_value.
  const maxPrice = Math.min(60, highValue / (2 * purchases + 2));
  const cheap = cheapProducts(maxPrice);
  const out: InjectedEvent[] = [];
  for (let i = 0; i < purchases; i++) {
    const product = cheap.length ? rng.pick(cheap) : pickProduct(rng);
    const price = cheap.length ? product.price : Math.floor(maxPrice * 100) / 100;
    out.push({
      ...browseEvent(rng, ctx, times[2 * i], 'view'),
      product,
      price,
      page: productUrl(product),
    });
    out.push(purchaseEvent(ctx, times[2 * i + 1], product, price, 1));
  }
  return out;
}

export function highValueEvents(
  rng: Rng,
  seed: number,
  user: string,
  times: number[],
  amounts: Array<{ price: number; quantity: number }>,
): InjectedEvent[] {
  const ctx = userContext(rng, seed, user, COUNTRIES[2], USER_AGENTS[1]);
  const expensive = getCatalogue().products.filter((p) => p.price > 1000);
  const out: InjectedEvent[] = [];
  amounts.forEach(({ price, quantity }, i) => {
    const product = rng.pick(expensive);
    out.push({
      ...browseEvent(rng, ctx, times[2 * i], 'view'),
      product,
      price,
      page: productUrl(product),
    });
    out.push(purchaseEvent(ctx, times[2 * i + 1], product, price, quantity));
  });
  return out;
}

export function geoEvents(
  rng: Rng,
  seed: number,
  user: string,
  times: number[],
  countryCount: number,
): InjectedEvent[] {
  const countries = COUNTRIES.slice(0, Math.max(countryCount, 1));
  const session = uuidFrom(seed, TAG.session, rng.uint32());
  const out: InjectedEvent[] = [];
  countries.slice(0, countryCount).forEach((country, i) => {
    const ctx: InjectedContext = {
      user,
      country: country.code,
      ip: ipIn(country, seed, 7_000 + i),
      ua: USER_AGENTS[2],
      session,
    };
    out.push(browseEvent(rng, ctx, times[2 * i], 'page_view'));
    out.push(browseEvent(rng, ctx, times[2 * i + 1], 'view'));
  });
  return out;
}

function purchaseEvent(
  ctx: InjectedContext,
  t: number,
  product: Product,
  price: number,
  quantity: number,
): InjectedEvent {
  return {
    t,
    user: ctx.user,
    type: 'purchase',
    ip: ctx.ip,
    country: ctx.country,
    ua: ctx.ua,
    session: ctx.session,
    product,
    price,
    quantity,
    page: CHECKOUT_COMPLETE_URL,
    referrer: CHECKOUT_URL,
  };
}

function distinctIps(country: Country, seed: number, user: string, count: number): string[] {
  const base = hash32(...[...user].map((c) => c.charCodeAt(0)));
  const out = new Set<string>();
  for (let i = 0; out.size < count; i++) out.add(ipIn(country, seed, base, 100 + i));
  return [...out];
}

/**
 * Purchase amounts for high_value: `count` purchases summing to exactly `threshold` (near miss) or a
 * little over it (fraud). Whole-number prices where possible, so Σ price × quantity is exact in
 * floating point in any order; the last item is bought twice when its amount is even.
 */
export function highValueAmounts(
  threshold: number,
  count: number,
  over: boolean,
): Array<{ price: number; quantity: number }> {
  const weights = [0.4, 0.35, 0.25].slice(0, count);
  const total = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((weight) => Math.floor((threshold * weight) / total));
  parts[count - 1] = threshold - parts.slice(0, count - 1).reduce((a, b) => a + b, 0);
  if (over) parts[0] += Math.max(1, Math.ceil(threshold * 0.05));
  return parts.map((amount, i) =>
    i === count - 1 && count > 1 && Number.isInteger(amount / 2) && amount > 0
      ? { price: amount / 2, quantity: 2 }
      : { price: amount, quantity: 1 },
  );
}
