/** Page URLs of the simulated shop, as events carry them in page_url and referrer. */
import { Product, SHOP_ORIGIN } from './catalogue';

export const HOME_URL = `${SHOP_ORIGIN}/`;
export const CART_URL = `${SHOP_ORIGIN}/cart`;
export const CHECKOUT_URL = `${SHOP_ORIGIN}/checkout`;
export const CHECKOUT_COMPLETE_URL = `${SHOP_ORIGIN}/checkout/complete`;

export function productUrl(product: Product): string {
  return `${SHOP_ORIGIN}/p/${product.id}`;
}

export function categoryUrl(product: Product): string {
  return `${SHOP_ORIGIN}/c/${product.category.code.replace(/\./g, '/')}`;
}

export function searchUrl(term: string): string {
  return `${SHOP_ORIGIN}/search?q=${encodeURIComponent(term)}`;
}
