export * from './data-source';
export * from './database.module';
export * from './migrate';
export { MIGRATIONS } from './migrations';
export * from './pg-pool';
export * from './entities';
