export * from './csv-formats';
export * from './csv-header';
export * from './read-csv-events';
