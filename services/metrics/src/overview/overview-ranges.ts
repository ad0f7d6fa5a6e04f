const MINUTE_MS = 60_000;
const FIVE_MINUTES_MS = 5 * MINUTE_MS;
const HOUR_MS = 60 * MINUTE_MS;

export interface Range {
  from: Date;
  to: Date;
}

/** The windows /v1/overview and the gauges read, relative to `at` (now). */
export interface OverviewRanges {
  at: Date;
  /** The 1 min window that ended last: [floor(at, 1 min) − 1 min, floor(at, 1 min)). */
  lastMinute: Range;
  /** The 5 min window that ended last: unique users cannot be added up over 1 min windows. */
  last5m: Range;
  /** The 60 complete 1 min windows before floor(at, 1 min): a rolling hour, fresher than the last 1 h window. */
  lastHour: Range;
  /** Alerts by detection time: [at − 1 h, at). */
  alerts: Range;
}

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;

/**
 * "Last minute" means the last complete window, not the one still filling up: a window that is
 * still receiving events would show a partial, misleadingly low count. Windows are UTC-aligned.
 */
export function overviewRanges(at: Date): OverviewRanges {
  const t = at.getTime();
  const minute = floorTo(t, MINUTE_MS);
  const five = floorTo(t, FIVE_MINUTES_MS);
  return {
    at,
    lastMinute: { from: new Date(minute - MINUTE_MS), to: new Date(minute) },
    last5m: { from: new Date(five - FIVE_MINUTES_MS), to: new Date(five) },
    lastHour: { from: new Date(minute - HOUR_MS), to: new Date(minute) },
    alerts: { from: new Date(t - HOUR_MS), to: at },
  };
}
