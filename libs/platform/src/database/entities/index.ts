import { CONTRACT_ENTITIES } from './results.entities';
import {
  StreamDedupeEntity,
  StreamOffsetEntity,
  StreamOutboxEntity,
  StreamStateEntity,
  StreamStateLogEntity,
} from './runtime.entities';

export * from './results.entities';
export * from './runtime.entities';

/** Every table the migrations create, as TypeORM entities (checked against the schema in a test). */
export const ENTITIES = [
  ...CONTRACT_ENTITIES.map(([, entity]) => entity),
  StreamOffsetEntity,
  StreamStateEntity,
  StreamStateLogEntity,
  StreamOutboxEntity,
  StreamDedupeEntity,
];
