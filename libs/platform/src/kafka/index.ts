export * from './kafka.client';
