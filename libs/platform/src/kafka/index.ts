export * from './kafka.client';
export * from './topics.bootstrap';
