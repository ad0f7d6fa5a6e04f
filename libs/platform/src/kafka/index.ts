export * from './kafka.client';
export * from './topics.bootstrap';
export * from './processor-runtime';
export * from './processor-streams.module';
export * from './click-event-source';
