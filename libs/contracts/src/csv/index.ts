export * from './csv-formats';
export * from './read-csv-events';
