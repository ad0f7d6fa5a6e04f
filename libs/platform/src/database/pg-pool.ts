import { Pool } from 'pg';
import { DataSource } from 'typeorm';

/** The pg Pool under TypeORM's DataSource: one pool per service, for batched parameterised SQL. */
export const pgPoolOf = (dataSource: DataSource): Pool =>
  (dataSource.driver as unknown as { master: Pool }).master;
