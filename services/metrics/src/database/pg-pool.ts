import { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { pgPoolOf } from '@clickstream/platform';

/** The pg Pool under TypeORM's DataSource: plain parameterised SQL, no ORM on the read path. */
export const PG_POOL = Symbol('PG_POOL');

export const pgPoolProvider: Provider = {
  provide: PG_POOL,
  inject: [getDataSourceToken()],
  useFactory: pgPoolOf,
};
