export * from './streams-app';
export * from './schema';
export * from './errors';
export * from './task-repository';
export * from './outbox-publisher';
export * from './backoff';
export * from './global-stage';
