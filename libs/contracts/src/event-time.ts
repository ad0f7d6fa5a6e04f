/**
 * Event-time parsing for contract v1 (SPEC §2): ISO-8601 with an offset or Z, REES46's
 * `YYYY-MM-DD HH:MM:SS UTC`, or epoch milliseconds (a number or a string of digits).
 * Hand-written rather than Date.parse: Date.parse accepts naive local times and rolls invalid
 * dates over (Feb 30 -> Mar 2), and a regex match allocates on every event of the hot path.
 */

/** Last millisecond whose ISO form keeps a 4-digit year (9999-12-31T23:59:59.999Z). */
export const MAX_EVENT_TIME_MS = 253_402_300_799_999;

/**
 * The shapes {@link parseEventTime} accepts, for the JSON Schema and for clients.
 * Ranges (month 1–12, day within the month, hour ≤ 23, ...) are checked by the parser.
 */
export const EVENT_TIME_PATTERN =
  /^(?:\d{1,15}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})? UTC|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?))$/;

const CHAR_0 = 48;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const MAX_FRACTION_DIGITS = 9;
const MAX_EPOCH_DIGITS = 15;

/** Epoch milliseconds of a contract event time, or undefined when the value is not one. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return checkEpochMs(value);
  if (typeof value !== 'string') return undefined;
  if (isDigits(value, 0, value.length) && value.length <= MAX_EPOCH_DIGITS) {
    return checkEpochMs(Number(value));
  }
  return parseCalendarTime(value);
}

/**
 * The stored form of an event time: UTC ISO-8601 with milliseconds, as Date#toISOString writes it.
 * Computed by hand because toISOString costs ~5x more and runs once or twice per ingested event.
 */
export function formatEventTime(epochMs: number): string {
  // Outside 1970..9999 (4-digit years) fall back to the built-in, which also throws on NaN.
  if (!Number.isInteger(epochMs) || epochMs < 0 || epochMs > MAX_EVENT_TIME_MS) {
    return new Date(epochMs).toISOString();
  }
  const days = Math.floor(epochMs / MS_PER_DAY);
  let rest = epochMs - days * MS_PER_DAY;
  const hour = Math.floor(rest / MS_PER_HOUR);
  rest -= hour * MS_PER_HOUR;
  const minute = Math.floor(rest / MS_PER_MINUTE);
  rest -= minute * MS_PER_MINUTE;
  const second = Math.floor(rest / 1000);
  const millis = rest - second * 1000;
  const date = civilFromDays(days);
  return (
    `${date.year}-${pad2(date.month)}-${pad2(date.day)}` +
    `T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${pad3(millis)}Z`
  );
}

/** Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days, days >= 0). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468; // days since 0000-03-01, so the leap day ends each 400-year era
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  if (n < 10) return `00${n}`;
  return n < 100 ? `0${n}` : `${n}`;
}

function checkEpochMs(ms: number): number | undefined {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_EVENT_TIME_MS) return undefined;
  return ms;
}

/** `YYYY-MM-DDTHH:MM[:SS[.f]](Z|±HH[[:]MM])` or `YYYY-MM-DD HH:MM:SS[.f] UTC`. */
function parseCalendarTime(s: string): number | undefined {
  if (s.length < 17 || s[4] !== '-' || s[7] !== '-' || s[13] !== ':') return undefined;
  const separator = s[10];
  if (separator !== 'T' && separator !== ' ') return undefined;

  const year = readDigits(s, 0, 4);
  const month = readDigits(s, 5, 2);
  const day = readDigits(s, 8, 2);
  const hour = readDigits(s, 11, 2);
  const minute = readDigits(s, 14, 2);
  let second = 0;
  let millis = 0;
  let i = 16;
  if (s[i] === ':') {
    second = readDigits(s, i + 1, 2);
    i += 3;
    if (s[i] === '.') {
      const end = digitsEnd(s, i + 1);
      if (end === i + 1 || end - i - 1 > MAX_FRACTION_DIGITS) return undefined;
      millis = readFractionMillis(s, i + 1, end);
      i = end;
    }
  } else if (separator === ' ') {
    return undefined; // the REES46 form always has seconds
  }

  const offsetMinutes = separator === 'T' ? readOffsetMinutes(s, i) : readUtcSuffix(s, i);
  if (offsetMinutes === undefined) return undefined;
  if (!isValidDateTime(year, month, day, hour, minute, second)) return undefined;

  const ms =
    Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * MS_PER_MINUTE;
  return checkEpochMs(ms);
}

/** Offset of `Z`, `±HH`, `±HHMM` or `±HH:MM` ending the string, in minutes east of UTC. */
function readOffsetMinutes(s: string, i: number): number | undefined {
  const sign = s[i];
  if (sign === 'Z') return s.length === i + 1 ? 0 : undefined;
  if (sign !== '+' && sign !== '-') return undefined;
  const hours = readDigits(s, i + 1, 2);
  let minutes = 0;
  let end = i + 3;
  if (end < s.length) {
    if (s[end] === ':') end += 1;
    minutes = readDigits(s, end, 2);
    end += 2;
  }
  if (end !== s.length || hours > 23 || minutes > 59 || hours < 0 || minutes < 0) return undefined;
  const total = hours * 60 + minutes;
  return sign === '+' ? total : -total;
}

function readUtcSuffix(s: string, i: number): number | undefined {
  return s.length === i + 4 && s.startsWith(' UTC', i) ? 0 : undefined;
}

function isValidDateTime(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  sec: number,
): boolean {
  // Before 1970 is not clickstream, and Date.UTC maps years 0–99 to 1900–1999.
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return false;
  return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The number written by `length` digits at `start`, or -1 when any of them is not a digit. */
function readDigits(s: string, start: number, length: number): number {
  if (start + length > s.length) return -1;
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const d = s.charCodeAt(i) - CHAR_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Milliseconds of a fraction of a second; digits past the third are truncated. */
function readFractionMillis(s: string, start: number, end: number): number {
  let ms = 0;
  for (let i = start; i < start + 3; i++) ms = ms * 10 + (i < end ? s.charCodeAt(i) - CHAR_0 : 0);
  return ms;
}

function digitsEnd(s: string, start: number): number {
  let i = start;
  while (i < s.length && isDigitAt(s, i)) i++;
  return i;
}

function isDigits(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (!isDigitAt(s, i)) return false;
  return true;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= CHAR_0 && c <= CHAR_0 + 9;
}
