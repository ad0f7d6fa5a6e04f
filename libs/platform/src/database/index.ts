export * from './data-source';
export * from './database.module';
export * from './migrate';
export { MIGRATIONS } from './migrations';
export * from './pg-pool';
export * from './entities';
// Not from entities/index.ts: migrate.ts loads that outside the path aliases (test global setup).
export * from './entities/entity-layout';
