import { StreamOffsets1763770000000 } from './1763770000000-stream-offsets';

/** Every migration, in order. Listed explicitly so they load the same from ts-jest and dist/. */
export const MIGRATIONS = [StreamOffsets1763770000000];
