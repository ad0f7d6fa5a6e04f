import { overviewRanges } from './overview-ranges';

const iso = (d: Date) => d.toISOString();

describe('overviewRanges', () => {
  it('reads the last complete minute and 5 min window, the 60 minutes before, and alerts of the past hour', () => {
    const r = overviewRanges(new Date('2024-01-01T10:07:42.500Z'));
    expect([iso(r.lastMinute.from), iso(r.lastMinute.to)]).toEqual([
      '2024-01-01T10:06:00.000Z',
      '2024-01-01T10:07:00.000Z',
    ]);
    expect([iso(r.last5m.from), iso(r.last5m.to)]).toEqual([
      '2024-01-01T10:00:00.000Z',
      '2024-01-01T10:05:00.000Z',
    ]);
    expect([iso(r.lastHour.from), iso(r.lastHour.to)]).toEqual([
      '2024-01-01T09:07:00.000Z',
      '2024-01-01T10:07:00.000Z',
    ]);
    expect([iso(r.alerts.from), iso(r.alerts.to)]).toEqual([
      '2024-01-01T09:07:42.500Z',
      '2024-01-01T10:07:42.500Z',
    ]);
  });

  it('on a boundary, the window that just ended is the last complete one', () => {
    const r = overviewRanges(new Date('2024-01-01T10:05:00.000Z'));
    expect(iso(r.lastMinute.from)).toBe('2024-01-01T10:04:00.000Z');
    expect(iso(r.last5m.from)).toBe('2024-01-01T10:00:00.000Z');
  });
});
