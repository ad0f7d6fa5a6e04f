/** Event-time windows aligned to the UTC epoch (so a 1 min window always starts at :00). */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface WindowSpec {
  /** Window length in ms. */
  size: number;
  /** Distance between window starts in ms; equals size for tumbling windows. */
  advance: number;
}

export const TumblingWindows = {
  of(sizeMs: number): WindowSpec {
    assertPositive('window size', sizeMs);
    return { size: sizeMs, advance: sizeMs };
  },
};

export const HoppingWindows = {
  of(sizeMs: number, advanceMs: number): WindowSpec {
    assertPositive('window size', sizeMs);
    assertPositive('window advance', advanceMs);
    if (advanceMs > sizeMs)
      throw new RangeError(`window advance ${advanceMs} must be <= size ${sizeMs}`);
    return { size: sizeMs, advance: advanceMs };
  },
};

function assertPositive(what: string, ms: number): void {
  if (!Number.isInteger(ms) || ms <= 0)
    throw new RangeError(`${what} must be a positive integer of ms (got ${ms})`);
}

/** Floor that is correct for negative timestamps too (before 1970). */
export function alignDown(timestamp: number, step: number): number {
  return timestamp - (((timestamp % step) + step) % step);
}

/** Every window of `spec` that contains `timestamp`, oldest first. */
export function windowsFor(spec: WindowSpec, timestamp: number): TimeWindow[] {
  const lastStart = alignDown(timestamp, spec.advance);
  // Starts stay on the advance grid (multiples of advance), also when size is not a multiple of it.
  const firstStart = lastStart - alignDown(spec.size - 1, spec.advance);
  const out: TimeWindow[] = [];
  for (let start = firstStart; start <= lastStart; start += spec.advance) {
    if (start + spec.size > timestamp) out.push({ start, end: start + spec.size });
  }
  return out;
}
