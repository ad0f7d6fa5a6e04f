/** One reason an event is invalid: the dotted path of the field and what is wrong with its value. */
export interface ValidationIssue {
  field: string;
  message: string;
}

/** Field name used when the payload itself is wrong (not an object, unparsable, ...). */
export const ROOT_FIELD = '(root)';

// Long strings are cut so one bad field cannot blow up a DLQ record or a 400 response.
const MAX_SHOWN_STRING = 64;

/** How a bad value is named in a message: strings quoted, numbers as written, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN_STRING ? `${value.slice(0, MAX_SHOWN_STRING)}…` : value;
    return JSON.stringify(shown);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(typeof value);
}

/** `must be <expectation> (got <value>)`, or `is required` when there is no value at all. */
export function mustBe(expectation: string, value: unknown): string {
  if (value === undefined) return 'is required';
  return `must be ${expectation} (got ${describeValue(value)})`;
}

/** Dotted field path (`properties.foo`, `items.0`), or `(root)` for the payload itself. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return ROOT_FIELD;
  return path.map(String).join('.');
}
