import { applyDecorators, Controller, Get, Inject, Query, Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { ApiFilters, ApiPaging, ApiRange, pageSchema, QueryApi } from './api-docs';
import { cursorTimestamp } from './cursor';
import { Page, toPage } from './page';
import {
  pagedRange,
  PagedRange,
  pagedRangeParams,
  ParamSpec,
  ParsedParams,
  parseQuery,
} from './query-params';

/** A list query as its repository takes it: the filters by parameter name, and the paged range. */
export type PagedQuery<F extends ParamSpec, K> = ParsedParams<F> & PagedRange<K>;

/**
 * A paged list over a time range (SPEC §8: sessions, windows, top products, alerts), declared once:
 * what it takes besides from, to, limit and cursor, its keyset cursor, and what it answers.
 */
export interface PagedList<F extends ParamSpec, K, R, T> {
  /** The operation's summary in the OpenAPI document. */
  summary: string;
  /** The filters, each parsed and documented from its Param. */
  filters: F;
  /** The column that from and to bound, as the document names it. */
  range: string;
  /** The key a cursor holds: that of the previous page's last row. */
  cursor: z.ZodType<K>;
  /** The page size without `limit`, when not the configured one (never above the maximum). */
  defaultLimit?: number;
  /** The OpenAPI schema of an item. */
  schema: Record<string, unknown>;
  /** The sort key of a row, for the cursor of the next page. */
  key: (row: R) => readonly (string | number)[];
  /** The answer's item for a row (of the query asked). */
  item: (row: R, query: PagedQuery<F, K>) => T;
}

/** A list declaration with its types inferred. */
export const pagedList = <F extends ParamSpec, K, R, T>(list: PagedList<F, K, R, T>) => list;

/** The keyset cursor of a list newest first by (timestamp, id): ids up to `maxIdLength`. */
export const timeIdCursor = (maxIdLength: number) =>
  z.tuple([cursorTimestamp, z.string().min(1).max(maxIdLength)]);

/**
 * The list's operation in the OpenAPI document: summary, query parameters and answer. Applied in
 * this order, the parameters read limit, cursor, from, to, then the filters (the last first).
 */
const ApiPagedList = (
  list: Pick<
    PagedList<ParamSpec, unknown, unknown, unknown>,
    'summary' | 'filters' | 'range' | 'schema'
  >,
) =>
  applyDecorators(
    ApiOperation({ summary: list.summary }),
    ApiOkResponse({ schema: pageSchema(list.schema) }),
    ApiPaging(),
    ApiRange(list.range),
    ApiFilters(list.filters),
  );

/**
 * Answers GET on a list: the query validated (a 400 names a bad parameter), `limit + 1` rows
 * fetched for it, and the page of items with the cursor of the next one.
 */
async function listPage<F extends ParamSpec, K, R, T>(
  query: unknown,
  list: PagedList<F, K, R, T>,
  limits: { defaultLimit: number; maxLimit: number },
  rows: (query: PagedQuery<F, K>) => Promise<R[]>,
): Promise<Page<T>> {
  const defaultLimit = Math.min(list.defaultLimit ?? limits.defaultLimit, limits.maxLimit);
  const paged = pagedRangeParams(defaultLimit, limits.maxLimit);
  // Filters first: an unknown parameter's 400 lists them in this order.
  const { from, to, limit, cursor, ...filters } = parseQuery(query, {
    ...list.filters,
    ...paged,
  }) as ParsedParams<typeof paged>;
  const range = pagedRange({ from, to, limit, cursor }, list.cursor);
  // What is left of the parsed query is the filters, by name.
  const q = { ...filters, ...range } as PagedQuery<F, K>;
  return toPage(await rows(q), q.limit, list.key, (row) => list.item(row, q));
}

/** Where a list's rows come from: its repository, given the parsed query. */
interface RowSource<Q, R> {
  list(query: Q): Promise<R[]>;
}

/**
 * The controller of a paged list: GET `path` answers pages of `list` from the rows of `source` (a
 * provider), within the configured page sizes, behind the query API's key (QueryApi). A subclass
 * names it, for Nest and the OpenAPI operation ids.
 */
export function pagedListController<F extends ParamSpec, K, R, T>(
  tag: string,
  path: string,
  list: PagedList<F, K, R, T>,
  source: Type<RowSource<NoInfer<PagedQuery<F, K>>, NoInfer<R>>>,
) {
  @ApiTags(tag)
  @QueryApi()
  @Controller(path)
  class PagedListController {
    constructor(
      @Inject(source) readonly source: RowSource<PagedQuery<F, K>, R>,
      @Inject(metricsConfig.KEY) readonly config: MetricsConfig,
    ) {}

    @Get()
    @ApiPagedList(list)
    list(@Query() query: unknown): Promise<Page<T>> {
      return listPage(query, list, this.config, (q) => this.source.list(q));
    }
  }
  return PagedListController;
}
