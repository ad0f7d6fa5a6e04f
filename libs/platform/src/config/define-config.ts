import { ConfigFactory, registerAs } from '@nestjs/config';
import { z } from 'zod';
import { EnvShape, parseEnv } from './env';

/**
 * One feature's config: a Nest `registerAs` factory validated by a zod schema over env var names.
 * The env shape stays attached so tooling (the compose test, docs) can check values against it.
 */
export function defineConfig<S extends EnvShape, T extends Record<string, unknown>>(
  namespace: string,
  shape: S,
  map: (values: z.infer<z.ZodObject<S>>) => T,
) {
  const factory = registerAs<T>(namespace, () => map(parseEnv(shape, process.env)));
  return Object.assign(factory, { envShape: shape, namespace });
}

/** Any defined config, as a list element (its value type erased). */
export type ConfigDefinition = ConfigFactory & {
  KEY: string | symbol;
  envShape: EnvShape;
  namespace: string;
};
