/**
 * Serde at every topic boundary is explicit (as in Kafka Streams): a source names how its bytes
 * become values, a sink how values become bytes. A deserialisation error is a poison record.
 */
export interface Serde<T> {
  readonly name: string;
  serialize(value: T): Buffer | string;
  deserialize(data: Buffer): T;
}

export class SerdeError extends Error {
  readonly code = 'SERDE_FAILED';
  readonly retriable = false;
  constructor(serde: string, message: string) {
    super(`${serde}: ${message}`);
    this.name = 'SerdeError';
  }
}

export const Serdes = {
  string(): Serde<string> {
    return {
      name: 'string',
      serialize: (v) => v,
      deserialize: (b) => b.toString('utf8'),
    };
  },

  /** JSON, optionally checked by `validate` (which throws on a bad shape). */
  json<T>(validate?: (value: unknown) => T): Serde<T> {
    return {
      name: 'json',
      serialize: (v) => JSON.stringify(v),
      deserialize: (b) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(b.toString('utf8'));
        } catch (err) {
          throw new SerdeError('json', (err as Error).message);
        }
        if (!validate) return parsed as T;
        try {
          return validate(parsed);
        } catch (err) {
          throw new SerdeError('json', (err as Error).message);
        }
      },
    };
  },
};
