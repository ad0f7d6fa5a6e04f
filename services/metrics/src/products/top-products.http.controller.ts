import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { ApiPaging, ApiRange, pageSchema, QueryApi } from '../query/api-docs';
import { Page, toPage } from '../query/page';
import { parseTopProductsQuery } from './top-products.params';
import {
  PRODUCT_RANKINGS,
  ProductItem,
  TopProductsRepository,
  toProductItem,
} from './top-products.repository';

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

/** SPEC §8 GET /v1/top-products over the per-hour product aggregates of SPEC §6. */
@ApiTags('products')
@QueryApi()
@Controller('v1/top-products')
export class TopProductsHttpController {
  constructor(
    private readonly products: TopProductsRepository,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Products ranked by views, purchases or revenue over the 1 h windows starting in [from, to)',
  })
  @ApiQuery({
    name: 'by',
    required: false,
    enum: PRODUCT_RANKINGS,
    description: 'ranking (default views); ties by product_id',
  })
  @ApiRange('1 h window_start')
  @ApiPaging()
  @ApiOkResponse({ schema: pageSchema(PRODUCT_SCHEMA) })
  async list(@Query() query: unknown): Promise<Page<ProductItem>> {
    const q = parseTopProductsQuery(query, this.config);
    const rows = await this.products.list(q);
    return toPage(rows, q.limit, (r) => [r.k, r.product_id], toProductItem);
  }
}
