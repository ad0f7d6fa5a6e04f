import { z } from 'zod';
import { ConfigValidationError } from '../errors';

/** A zod shape whose keys are environment variable names. */
export type EnvShape = Record<string, z.ZodType>;

/** Variables whose values are secrets (API keys, passwords). */
const SECRET_NAME = /(KEYS?|SECRET|PASSWORD|TOKEN)$/;

/**
 * Parses the variables of `shape` from `env`. An empty string is a value, not "unset": so
 * `KAFKA_BROKERS=` fails instead of silently taking the default.
 */
export function parseEnv<S extends EnvShape>(
  shape: S,
  env: NodeJS.ProcessEnv,
): z.infer<z.ZodObject<S>> {
  const picked: Record<string, string | undefined> = {};
  for (const name of Object.keys(shape)) picked[name] = env[name];
  const result = z.object(shape).safeParse(picked);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue.path[0] ?? '(env)');
  const raw = picked[variable];
  // A secret's value never reaches a log line, only its length.
  const shown =
    raw === undefined
      ? 'unset'
      : SECRET_NAME.test(variable)
        ? `(${raw.length} characters, not shown)`
        : `"${raw}"`;
  const others =
    result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw new ConfigValidationError(
    variable,
    `Invalid environment variable ${variable}=${shown}: ${issue.message}${others}`,
  );
}

const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

/** Reusable env value parsers: every one rejects the empty string. */
export const env = {
  string: (fallback?: string) => {
    const s = z.string().min(1, 'must not be empty');
    return fallback === undefined ? s : s.default(fallback);
  },
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    intString(min, max).default(fallback),
  /** An integer, or undefined when unset: for settings whose default depends on the service. */
  optionalInt: (min = 0, max = Number.MAX_SAFE_INTEGER) => intString(min, max).optional(),
  port: (fallback: number) => env.int(fallback, 1, 65535),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1')
      .default(fallback),
  enum: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z.enum(values, { message: `must be one of ${values.join(', ')}` }).default(fallback as never),
  /** Comma-separated list; empty items are an error, not ignored. */
  list: (fallback?: string[]) => {
    const s = z
      .string()
      .min(1, 'must not be empty')
      .transform((v) => v.split(',').map((x) => x.trim()))
      .refine(
        (items) => items.every((x) => x.length > 0),
        'must be a comma-separated list without empty items',
      );
    return fallback === undefined ? s : s.default(fallback);
  },
  optionalList: () =>
    z
      .string()
      .optional()
      .transform((v) =>
        v === undefined || v === ''
          ? []
          : v
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean),
      ),
};
