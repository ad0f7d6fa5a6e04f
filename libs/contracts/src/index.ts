export * from './event-types';
export * from './event-time';
export * from './event-id';
export * from './validation-issue';
export * from './event.schema';
export * from './topics';
export * from './records';
export * from './csv';
