import { describeValue, mustBe } from './validation-issue';

/**
 * What every processor can store (SPEC §2). An accepted event ends up in Postgres text and jsonb
 * columns (state stores, result tables): Postgres refuses NUL (U+0000) in both and a lone surrogate
 * in jsonb, and one refused value fails a whole commit. So the contract refuses them at the edge.
 */

/** `properties` nest at most this deep; the properties object itself is level 1. */
export const MAX_PROPERTIES_DEPTH = 8;

/** What a storable string is, as the validation messages say it. */
export const STORABLE_TEXT = 'text without NUL (U+0000) or lone surrogates';

/** Node ≥ 20 has String#isWellFormed (ES2024); the compiler's lib (ES2023) does not declare it yet. */
type WellFormedString = string & { isWellFormed(): boolean };

/** True when Postgres can store `s` in text and jsonb: no NUL and no lone (unpaired) surrogate. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && (s as WellFormedString).isWellFormed();
}

/** A part of a JSON value that cannot be stored, and why (a `must ...` message). */
export interface UnstorablePart {
  /** Path from the value handed to {@link findUnstorable}; empty for the value itself. */
  path: PropertyKey[];
  message: string;
}

/**
 * The first part of `value` that no processor could store, or undefined when all of it can be:
 * a string (or object key) with NUL or a lone surrogate, a container nested deeper than
 * {@link MAX_PROPERTIES_DEPTH}, or a value JSON has no form for. `level` is the nesting level
 * `value` has inside `properties` (1 for the properties object itself). Stops at the first finding,
 * so one bad array of a million strings costs one issue, not a million.
 */
export function findUnstorable(value: unknown, level: number): UnstorablePart | undefined {
  const path: PropertyKey[] = [];
  const message = visit(value, level, path);
  return message === undefined ? undefined : { path, message };
}

/** Depth-first; on a finding, `path` holds the way to it (the recursion unwinds without popping). */
function visit(value: unknown, level: number, path: PropertyKey[]): string | undefined {
  switch (typeof value) {
    case 'string':
      return isStorableText(value) ? undefined : mustBe(STORABLE_TEXT, value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'object':
      return value === null ? undefined : visitContainer(value, level, path);
    default:
      // bigint, symbol, function: only JavaScript callers can pass them, and JSON has no form for them.
      return mustBe('a JSON value', value);
  }
}

function visitContainer(value: object, level: number, path: PropertyKey[]): string | undefined {
  if (level > MAX_PROPERTIES_DEPTH) {
    return mustBe(`nested at most ${MAX_PROPERTIES_DEPTH} levels deep in properties`, value);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const found = visit(value[i], level + 1, path);
      if (found !== undefined) return found;
      path.pop();
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!isStorableText(key)) return unstorableKey(key);
    path.push(key);
    const found = visit((value as Record<string, unknown>)[key], level + 1, path);
    if (found !== undefined) return found;
    path.pop();
  }
  return undefined;
}

/** A bad key is reported on the object that holds it: the key itself cannot name a field. */
export function unstorableKey(key: string): string {
  return `must have keys that are ${STORABLE_TEXT} (got key ${describeValue(key)})`;
}

/**
 * The UTF-8 size of `text` when it is over `maxBytes`, else undefined. UTF-8 takes at most 3 bytes
 * per UTF-16 unit, so only a long string is counted (the hot path stays a length check).
 */
export function utf8BytesOver(text: string, maxBytes: number): number | undefined {
  if (text.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > maxBytes ? bytes : undefined;
}
