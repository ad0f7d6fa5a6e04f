import { z } from 'zod';
import { enumParam, pagedRange, pagedRangeParams, parseQuery } from '../query/query-params';
import { PRODUCT_RANKINGS, TopProductsQuery } from './top-products.repository';

export const DEFAULT_TOP_PRODUCTS = 10;
const productCursor = z.tuple([
  z.string().regex(/^-?\d{1,20}(\.\d{1,6})?$/),
  z.string().min(1).max(200),
]);

/** GET /v1/top-products: from/to bound the 1 h windows' window_start, half-open. */
export function parseTopProductsQuery(
  query: unknown,
  limits: { maxLimit: number },
): TopProductsQuery {
  const v = parseQuery(query, {
    by: enumParam(PRODUCT_RANKINGS, 'views'),
    ...pagedRangeParams(Math.min(DEFAULT_TOP_PRODUCTS, limits.maxLimit), limits.maxLimit),
  });
  return {
    by: v.by,
    ...pagedRange(v, productCursor),
  };
}
