/**
 * The option builders of a command's table (see args.ts) and the value parsers behind them:
 * each parser throws InvalidValue with the rule the text broke.
 */
import { NBSP } from './args-help';
import type { Option } from './args-spec';

/** Thrown by a value parser with the rule the value broke: "must be a positive integer". */
export class InvalidValue extends Error {
  constructor(rule: string) {
    super(rule);
    this.name = 'InvalidValue';
  }
}

interface Described {
  readonly description: string;
  readonly placeholder?: string;
  readonly short?: string;
  readonly defaultText?: string;
}
type Settings<T> = Described & { readonly default?: T };
/** An option with a default always has a value; one without may be undefined. */
type Result<T, O> = O extends { default: T } ? T : T | undefined;

/** A switch: false unless given. */
export function flag(settings: Omit<Described, 'placeholder' | 'defaultText'>): Option<boolean> {
  return { type: 'boolean', ...settings, default: false };
}

/** A value option whose text `parse` turns into the value. */
export function value<T, O extends Settings<T>>(
  parse: (text: string) => T,
  settings: O,
): Option<Result<T, O>> {
  return { type: 'string', placeholder: 'VALUE', ...settings, parse };
}

/** A text value, as given. */
export function text<O extends Settings<string>>(settings: O): Option<Result<string, O>> {
  return value((raw: string) => raw, settings);
}

interface Bounds {
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound (numbers): `greaterThan: 0` is "> 0". */
  readonly greaterThan?: number;
}

/** An integer, `min`..`max` inclusive. */
export function integer<O extends Settings<number> & Omit<Bounds, 'greaterThan'>>(
  settings: O,
): Option<Result<number, O>> {
  return bounded(integerParser(settings), settings);
}

/** A finite number within the bounds. */
export function number<O extends Settings<number> & Bounds>(
  settings: O,
): Option<Result<number, O>> {
  return bounded(numberParser(settings), settings);
}

/** A number option: `N` in the help, with its bounds shown beside the description. */
function bounded<O extends Settings<number> & Bounds>(
  parse: (text: string) => number,
  settings: O,
): Option<Result<number, O>> {
  return value(parse, { placeholder: 'N', bounds: boundsText(settings), ...settings });
}

function boundsText({ min, max, greaterThan }: Bounds): string | undefined {
  const parts = [
    greaterThan !== undefined ? `>${NBSP}${greaterThan}` : undefined,
    min !== undefined && max !== undefined ? `${min}..${max}` : undefined,
    min !== undefined && max === undefined ? `>=${NBSP}${min}` : undefined,
    max !== undefined && min === undefined ? `<=${NBSP}${max}` : undefined,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

/** One of a fixed set of words. */
export function oneOf<const C extends readonly string[], O extends Settings<C[number]>>(
  choices: C,
  settings: O,
): Option<Result<C[number], O>> {
  return value(choiceParser(choices), { placeholder: choices.join('|'), ...settings });
}

/** Several values: the option repeated and/or comma-separated (`--rates 1000,2000 --rates 4000`). */
export function list<T, O extends Settings<T[]>>(
  item: (text: string) => T,
  settings: O,
): Option<Result<T[], O>> {
  return {
    type: 'string',
    placeholder: 'A,B',
    ...settings,
    parse: item,
    multiple: true,
    separator: ',',
  };
}

export function integerParser(bounds: Omit<Bounds, 'greaterThan'>): (text: string) => number {
  const { min, max } = bounds;
  const rule =
    min !== undefined && max !== undefined
      ? `must be an integer from ${min} to ${max}`
      : min === 1
        ? 'must be a positive integer'
        : min !== undefined
          ? `must be an integer >= ${min}`
          : max !== undefined
            ? `must be an integer <= ${max}`
            : 'must be an integer';
  return (raw) => {
    const parsed = /^[-+]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    const inside = (min === undefined || parsed >= min) && (max === undefined || parsed <= max);
    if (!Number.isSafeInteger(parsed) || !inside) throw new InvalidValue(rule);
    return parsed;
  };
}

export function numberParser(bounds: Bounds): (text: string) => number {
  const { min, max, greaterThan } = bounds;
  const rules = [
    greaterThan !== undefined ? `> ${greaterThan}` : undefined,
    min !== undefined && max === undefined ? `>= ${min}` : undefined,
    max !== undefined && min === undefined ? `<= ${max}` : undefined,
    min !== undefined && max !== undefined ? `from ${min} to ${max}` : undefined,
  ].filter(Boolean);
  const rule = `must be a number${rules.length ? ` ${rules.join(' and ')}` : ''}`;
  return (raw) => {
    const parsed = raw.trim() === '' ? NaN : Number(raw);
    const inside =
      (greaterThan === undefined || parsed > greaterThan) &&
      (min === undefined || parsed >= min) &&
      (max === undefined || parsed <= max);
    if (!Number.isFinite(parsed) || !inside) throw new InvalidValue(rule);
    return parsed;
  };
}

export function choiceParser<C extends readonly string[]>(choices: C): (text: string) => C[number] {
  return (raw) => {
    if (!choices.includes(raw)) throw new InvalidValue(`must be one of ${choices.join(', ')}`);
    return raw;
  };
}
