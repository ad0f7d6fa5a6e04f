/**
 * How a normal user behaves from event to event: a profile (home address, maybe a second, mobile
 * one), client sessions, and a funnel from views to purchases that never takes the user over a
 * per-user threshold (purchase_velocity, high_value).
 */
import { ClickEventInput, EventType } from '@clickstream/contracts';
import {
  COUNTRIES,
  COUNTRY_WEIGHTS,
  EXTERNAL_REFERRERS,
  ipIn,
  MOBILE_USER_AGENTS,
  pickProduct,
  Product,
  USER_AGENTS,
} from './catalogue';
import { clickEvent } from './event-output';
import { MINUTE, TAG } from './generator-constants';
import { ResolvedConfig } from './generator-options';
import { hash32, Rng, uuidFrom } from './prng';
import { alignDown } from './rules';
import {
  CART_URL,
  categoryUrl,
  CHECKOUT_COMPLETE_URL,
  CHECKOUT_URL,
  HOME_URL,
  productUrl,
  searchUrl,
} from './urls';

/** A new client session id after this much inactivity (shorter than the sessionizer's 30 min). */
export const CLIENT_SESSION_GAP_MS = 25 * MINUTE;

export function normalUser(userIndex: number): string {
  return `user-${userIndex + 1}`;
}

interface Network {
  ip: string;
  country: string;
  ua: string;
}

interface UserState {
  userId: string;
  rng: Rng;
  home: Network;
  alt?: Network;
  lastT: number;
  sessionSeq: number;
  sessionId: string;
  lastPage?: string;
  lastProduct?: Product;
  category?: number;
  item?: { product: Product; quantity: number };
  pending: 'none' | 'viewed' | 'carted' | 'checked_out';
  purchaseWindow: number;
  purchases: number;
  amount: number;
}

/** The funnel's choice for the next event; the product for cart, checkout and purchase steps. */
interface Step {
  type: EventType;
  product?: Product;
  quantity?: number;
}

/** The normal users during one pass over the stream (their state is built up as they act). */
export class UserSimulation {
  private readonly users = new Map<number, UserState>();

  constructor(private readonly cfg: ResolvedConfig) {}

  /** The user's event at time t (updates the user's state). */
  event(
    userIndex: number,
    periodStart: number,
    t: number,
    id: string,
    time: string,
  ): ClickEventInput {
    const cfg = this.cfg;
    const user = this.stateOf(userIndex);
    const net =
      user.alt && hash32(cfg.seed, TAG.alt, userIndex, periodStart) % 100 < 30
        ? user.alt
        : user.home;
    const newVisit = t - user.lastT >= CLIENT_SESSION_GAP_MS;
    if (newVisit) {
      user.sessionSeq++;
      user.sessionId = uuidFrom(cfg.seed, TAG.session, userIndex, user.sessionSeq);
      user.pending = 'none';
      user.lastPage = undefined;
    }
    user.lastT = t;
    const step = this.nextStep(user, t, newVisit);
    const { page, product, query } = visit(user, step);
    const referrer = newVisit ? user.rng.pick(EXTERNAL_REFERRERS) : user.lastPage;
    user.lastPage = page;
    const content = {
      type: step.type,
      user: user.userId,
      session: user.sessionId,
      product,
      quantity: step.quantity,
      ip: net.ip,
      country: net.country,
      ua: net.ua,
      page,
      referrer,
      query,
    };
    return clickEvent(content, id, time);
  }

  private stateOf(userIndex: number): UserState {
    let user = this.users.get(userIndex);
    if (!user) this.users.set(userIndex, (user = this.newUser(userIndex)));
    return user;
  }

  /** Where the funnel goes next: a visit starts browsing; carts, checkouts and purchases follow. */
  private nextStep(user: UserState, t: number, newVisit: boolean): Step {
    const rng = user.rng;
    const funnel = this.cfg.funnel;
    if (newVisit) {
      const roll = rng.next();
      return { type: roll < 0.6 ? 'page_view' : roll < 0.75 ? 'search' : 'view' };
    }
    if (user.pending === 'checked_out' && user.item) {
      const item = user.item;
      if (
        rng.next() < funnel.purchase &&
        this.canPurchase(user, t, item.product.price * item.quantity)
      )
        return { type: 'purchase', product: item.product, quantity: item.quantity };
    } else if (user.pending === 'carted' && user.item) {
      const roll = rng.next();
      const { product, quantity } = user.item;
      if (roll < funnel.checkout) return { type: 'checkout', product, quantity };
      if (roll < funnel.checkout + funnel.remove)
        return { type: 'remove_from_cart', product, quantity };
    } else if (user.pending === 'viewed' && user.lastProduct && rng.next() < funnel.cart) {
      const roll = rng.next();
      const quantity = roll < 0.85 ? 1 : roll < 0.97 ? 2 : 3;
      return { type: 'cart', product: user.lastProduct, quantity };
    }
    const roll = rng.next();
    const type =
      roll < 0.56 ? 'view' : roll < 0.72 ? 'click' : roll < 0.86 ? 'page_view' : 'search';
    return { type };
  }

  /** Whether a purchase of `amount` keeps the user within its caps for the window (and counts it). */
  private canPurchase(user: UserState, t: number, amount: number): boolean {
    const windowStart = alignDown(t, this.cfg.th.userWindowMs);
    if (user.purchaseWindow !== windowStart) {
      user.purchaseWindow = windowStart;
      user.purchases = 0;
      user.amount = 0;
    }
    if (user.purchases + 1 > this.cfg.purchaseCap || user.amount + amount > this.cfg.amountCap)
      return false;
    user.purchases++;
    user.amount += amount;
    return true;
  }

  private newUser(userIndex: number): UserState {
    const cfg = this.cfg;
    const rng = new Rng(hash32(cfg.seed, TAG.profile, userIndex));
    const country = COUNTRIES[rng.weighted(COUNTRY_WEIGHTS)];
    const home = {
      ip: ipIn(country, cfg.seed, userIndex, 1),
      country: country.code,
      ua: rng.pick(USER_AGENTS),
    };
    let alt: UserState['alt'];
    const hasAlt = rng.next() < 0.25;
    const traveller = rng.next() < 0.125;
    const otherCountry =
      COUNTRIES[
        (COUNTRIES.indexOf(country) + 1 + rng.int(COUNTRIES.length - 1)) % COUNTRIES.length
      ];
    // A second address only where it cannot reach ip_hopping (and a second country geo_velocity).
    if (hasAlt && cfg.th.ipHopping >= 2) {
      const altCountry = traveller && cfg.th.geoVelocity >= 2 ? otherCountry : country;
      alt = {
        ip: ipIn(altCountry, cfg.seed, userIndex, 2),
        country: altCountry.code,
        ua: rng.pick(MOBILE_USER_AGENTS),
      };
    }
    return {
      userId: normalUser(userIndex),
      rng: new Rng(hash32(cfg.seed, TAG.content, userIndex)),
      home,
      alt,
      lastT: -Infinity,
      sessionSeq: 0,
      sessionId: '',
      pending: 'none',
      purchaseWindow: -1,
      purchases: 0,
      amount: 0,
    };
  }
}

/** Moves the user to the page of `step`: the page, and the product a view or click shows. */
function visit(user: UserState, step: Step): { page: string; product?: Product; query?: string } {
  const rng = user.rng;
  switch (step.type) {
    case 'view': {
      const product =
        user.category !== undefined && rng.next() < 0.6
          ? pickProduct(rng, user.category)
          : pickProduct(rng);
      user.category = product.category.index;
      user.lastProduct = product;
      user.pending = 'viewed';
      return { page: productUrl(product), product };
    }
    case 'click': {
      const product = user.lastProduct ?? pickProduct(rng);
      user.lastProduct = product;
      user.pending = 'none';
      return { page: productUrl(product), product };
    }
    case 'page_view': {
      const seen = pickProduct(rng);
      user.pending = 'none';
      if (rng.next() < 0.3) return { page: HOME_URL };
      user.category = seen.category.index;
      return { page: categoryUrl(seen) };
    }
    case 'search': {
      const seen = pickProduct(rng);
      user.category = seen.category.index;
      const query = rng.pick(seen.category.terms);
      user.pending = 'none';
      return { page: searchUrl(query), query };
    }
    case 'cart':
      user.item = { product: step.product!, quantity: step.quantity! };
      user.pending = 'carted';
      return { page: CART_URL, product: step.product };
    case 'remove_from_cart':
      user.item = undefined;
      user.pending = 'none';
      return { page: CART_URL, product: step.product };
    case 'checkout':
      user.pending = 'checked_out';
      return { page: CHECKOUT_URL, product: step.product };
    default: // purchase
      user.item = undefined;
      user.pending = 'none';
      return { page: CHECKOUT_COMPLETE_URL, product: step.product };
  }
}
