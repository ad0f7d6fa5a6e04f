import { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig, DatabaseConfig } from '../config';
import { dataSourceOptions } from './data-source';

/** The service's TypeORM connection, from the validated database config. */
export function databaseModule(): DynamicModule {
  return TypeOrmModule.forRootAsync({
    inject: [databaseConfig.KEY],
    useFactory: (db: DatabaseConfig) => ({
      ...dataSourceOptions(db.url, db.poolSize, db.timeouts),
      autoLoadEntities: true,
      // Fail fast at boot, then let readiness report a lost database instead of crashing.
      retryAttempts: 3,
      retryDelay: 1000,
    }),
  });
}
