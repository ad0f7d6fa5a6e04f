import { FakeClock } from '../shared/clock';
import {
  batchSizeForRate,
  eventTimeOf,
  EventTimePacer,
  speedupDelayMs,
  speedupDueAt,
} from './pacing';

const T0 = Date.parse('2019-10-01T00:00:00Z');

describe('speedup pacing math', () => {
  it('sends an event of time t at start + (t - t0) / speedup', () => {
    expect(speedupDueAt(T0, T0, 1000, 60)).toBe(1000);
    expect(speedupDueAt(T0 + 60_000, T0, 1000, 60)).toBe(2000); // a minute of events per second
    expect(speedupDueAt(T0 + 3_600_000, T0, 0, 1)).toBe(3_600_000); // real time
    expect(speedupDueAt(T0 + 500, T0, 0, 0.5)).toBe(1000); // slow motion
  });

  it('waits the rest of the way, never a negative time', () => {
    expect(speedupDelayMs(T0 + 60_000, T0, 1000, 1500, 60)).toBe(500);
    expect(speedupDelayMs(T0 + 60_000, T0, 1000, 2500, 60)).toBe(0); // overdue
    expect(speedupDelayMs(T0 - 60_000, T0, 1000, 1000, 60)).toBe(0); // older than the first event
  });

  it('refuses a speedup that is not a finite positive number', () => {
    for (const bad of [0, -1, NaN, Infinity])
      expect(() => speedupDueAt(T0, T0, 0, bad)).toThrow(RangeError);
  });
});

describe('EventTimePacer', () => {
  it('fixes t0 and the start at the first timed event and paces the rest from there', () => {
    const clock = new FakeClock(5000);
    const pacer = new EventTimePacer(10, clock);
    expect(pacer.delayFor(undefined)).toBe(0); // no time: no pacing, and t0 not fixed
    expect(pacer.delayFor(T0)).toBe(0);
    expect(pacer.delayFor(T0 + 10_000)).toBe(1000);
    clock.advance(1000);
    expect(pacer.delayFor(T0 + 10_000)).toBe(0);
    expect(pacer.delayFor(T0 + 30_000)).toBe(2000);
    clock.advance(2500); // running late: nothing to wait for
    expect(pacer.delayFor(T0 + 30_000)).toBe(0);
  });
});

describe('eventTimeOf', () => {
  it('reads the three contract forms and nothing else', () => {
    expect(eventTimeOf({ event_time: '2019-10-01 00:00:00 UTC' })).toBe(T0);
    expect(eventTimeOf({ event_time: '2019-10-01T02:00:00+02:00' })).toBe(T0);
    expect(eventTimeOf({ event_time: T0 })).toBe(T0);
    expect(eventTimeOf({ event_time: String(T0) })).toBe(T0);
    expect(eventTimeOf({ event_time: 'yesterday' })).toBeUndefined();
    expect(eventTimeOf({})).toBeUndefined();
    expect(eventTimeOf(null)).toBeUndefined();
    expect(eventTimeOf('x')).toBeUndefined();
  });
});

describe('batchSizeForRate', () => {
  it('sends about a tenth of a second of events per request', () => {
    expect(batchSizeForRate(500, undefined)).toBe(500);
    expect(batchSizeForRate(500, 100_000)).toBe(500);
    expect(batchSizeForRate(500, 1000)).toBe(100);
    expect(batchSizeForRate(500, 5)).toBe(1);
  });
});
