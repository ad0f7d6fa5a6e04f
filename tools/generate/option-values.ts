/**
 * The parsers of the generate CLI's option values (see cli-options.ts): each throws InvalidValue
 * with the rule the text broke, or a whole UsageError where the message must name more.
 */
import { parseEventTime } from '@clickstream/contracts';
import { InvalidValue, parseText, UsageError } from '../shared/args';
import {
  DEFAULT_THRESHOLDS,
  FRAUD_PATTERNS,
  FraudPattern,
  FraudThresholds,
  isFraudPattern,
} from './traffic-generator';

export const THRESHOLD_NAMES = Object.keys(DEFAULT_THRESHOLDS);

/** `--start`: an event time, or "now", which the clock resolves after parsing. */
export function startTime(raw: string): number | 'now' {
  if (raw === 'now') return 'now';
  const parsed = parseEventTime(raw);
  if (parsed === undefined) {
    throw new InvalidValue(
      'must be ISO-8601 with an offset or Z, "YYYY-MM-DD HH:MM:SS UTC", epoch ms or "now"',
    );
  }
  return parsed;
}

/** The items of a comma-separated value; empty ones are skipped, as a trailing comma. */
function commaItems(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `--fraud`: patterns, or "all"; an unknown one is named on its own in the error. */
export function fraudPatterns(raw: string): FraudPattern[] {
  const patterns = commaItems(raw).flatMap(
    (item) => parseText('--fraud', fraudPattern, item) as FraudPattern[],
  );
  if (patterns.length === 0) throw new InvalidValue('needs at least one pattern');
  return patterns;
}

function fraudPattern(item: string): FraudPattern[] {
  if (item === 'all') return [...FRAUD_PATTERNS];
  if (isFraudPattern(item)) return [item];
  throw new InvalidValue(`must be all or one of ${FRAUD_PATTERNS.join(', ')}`);
}

/** `--thresholds clickFlood=40,high_value=5000`: overrides by camelCase or snake_case name. */
export function thresholdOverrides(raw: string): Partial<FraudThresholds> {
  const thresholds: Partial<FraudThresholds> = {};
  for (const item of commaItems(raw)) {
    const [name, setting] = parseText('--thresholds', thresholdSetting, item) as [
      keyof FraudThresholds,
      number,
    ];
    thresholds[name] = setting;
  }
  return thresholds;
}

function thresholdSetting(item: string): [keyof FraudThresholds, number] {
  const [rawName, rawSetting, ...rest] = item.split('=');
  const name = camelCase(rawName.trim());
  if (!(name in DEFAULT_THRESHOLDS) || rawSetting === undefined || rest.length > 0) {
    throw new InvalidValue(`must be name=value with a name from ${THRESHOLD_NAMES.join(', ')}`);
  }
  const setting = rawSetting.trim() === '' ? NaN : Number(rawSetting);
  if (!Number.isFinite(setting) || setting < 0) {
    // Thrown whole so the error quotes the value alone (not name=value) and names the threshold.
    throw new UsageError(
      `--thresholds: ${rawName} must be a number >= 0 (got ${JSON.stringify(rawSetting)})`,
      '--thresholds',
    );
  }
  return [name as keyof FraudThresholds, setting];
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

export function httpUrl(raw: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(raw)) throw new InvalidValue('must be an http(s) URL');
  return raw;
}

export function outputFile(raw: string): string {
  if (raw === '') throw new InvalidValue('must be a file name or -');
  return raw;
}
