import { z } from 'zod';
import { pagedList, pagedListController } from '../query/paged-list';
import { described, enumParam } from '../query/query-params';
import {
  PRODUCT_RANKINGS,
  ProductItem,
  TopProductsRepository,
  toProductItem,
} from './top-products.repository';

/** The page size of /v1/top-products without `limit`: a top ten. */
const DEFAULT_TOP_PRODUCTS = 10;

const PRODUCT_SCHEMA = {
  type: 'object',
  properties: {
    product_id: { type: 'string' },
    views: { type: 'integer' },
    carts: { type: 'integer' },
    purchases: { type: 'integer' },
    revenue: { type: 'number' },
  } satisfies Record<keyof ProductItem, object>,
};

/** GET /v1/top-products: from/to bound the 1 h windows' window_start, half-open. */
const PRODUCT_LIST = pagedList({
  summary:
    'Products ranked by views, purchases or revenue over the 1 h windows starting in [from, to)',
  filters: {
    by: described(
      enumParam(PRODUCT_RANKINGS, 'views'),
      'ranking (default views); ties by product_id',
    ),
  },
  range: '1 h window_start',
  // (ranking value as Postgres prints it, product_id)
  cursor: z.tuple([z.string().regex(/^-?\d{1,20}(\.\d{1,6})?$/), z.string().min(1).max(200)]),
  defaultLimit: DEFAULT_TOP_PRODUCTS,
  schema: PRODUCT_SCHEMA,
  key: (r) => [r.k, r.product_id],
  item: toProductItem,
});

/** SPEC §8 GET /v1/top-products over the per-hour product aggregates of SPEC §6. */
export class TopProductsHttpController extends pagedListController(
  'products',
  'v1/top-products',
  PRODUCT_LIST,
  TopProductsRepository,
) {}
