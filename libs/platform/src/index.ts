export * from './errors';
export * from './service-info';
export * from './config';
export * from './metrics';
export * from './kafka';
export * from './database';
export * from './platform.module';
export * from './bootstrap';
