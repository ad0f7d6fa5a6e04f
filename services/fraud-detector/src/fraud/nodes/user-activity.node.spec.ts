import { FraudUserActivityRow, fraudUserActivityRow } from '@clickstream/contracts';
import { fraudConfigWith } from '../rules/rule-config';
import { clickEvent, fraudDriver, iso, MIN, pipeEvents, T0 } from '../../../test/fraud-fixtures';

const HOUR = 60 * MIN;
const byUser = (rows: FraudUserActivityRow[]) =>
  [...rows].sort((a, b) =>
    `${a.window_start}${a.user_id}`.localeCompare(`${b.window_start}${b.user_id}`),
  );

describe('fraud_user_activity rows (outlier_activity partial counts)', () => {
  it("upserts each user's event count per 1 h window as events arrive, with the events partition", () => {
    const d = fraudDriver(undefined, { partitions: 3 });
    pipeEvents(d, [
      clickEvent('u1', T0),
      clickEvent('u2', T0 + MIN),
      clickEvent('u1', T0 + 59 * MIN + 59_999),
    ]);
    expect(byUser(d.readTable<FraudUserActivityRow>(fraudUserActivityRow.table))).toEqual([
      { window_start: iso(T0), user_id: 'u1', partition: d.partitionFor('u1'), events: 2 },
      { window_start: iso(T0), user_id: 'u2', partition: d.partitionFor('u2'), events: 1 },
    ]);
    pipeEvents(d, [clickEvent('u1', T0 + HOUR), clickEvent('u1', T0 + 58 * MIN)]);
    expect(byUser(d.readTable<FraudUserActivityRow>(fraudUserActivityRow.table))).toEqual([
      { window_start: iso(T0), user_id: 'u1', partition: d.partitionFor('u1'), events: 3 },
      { window_start: iso(T0), user_id: 'u2', partition: d.partitionFor('u2'), events: 1 },
      { window_start: iso(T0 + HOUR), user_id: 'u1', partition: d.partitionFor('u1'), events: 1 },
    ]);
  });

  it('keeps no state: the counts are deltas the table adds up, so they survive a restart exactly', () => {
    const d = fraudDriver();
    pipeEvents(d, [clickEvent('u1', T0), clickEvent('u2', T0 + 10 * MIN)]);
    expect(() => d.store('fraud-user-activity-store')).toThrow('no store');
    d.restart();
    pipeEvents(d, [clickEvent('u1', T0 + 20 * MIN), clickEvent('u1', T0 + HOUR + 2 * MIN)]);
    expect(byUser(d.readTable<FraudUserActivityRow>(fraudUserActivityRow.table))).toEqual([
      { window_start: iso(T0), user_id: 'u1', partition: d.partitionFor('u1'), events: 2 },
      { window_start: iso(T0), user_id: 'u2', partition: d.partitionFor('u2'), events: 1 },
      { window_start: iso(T0 + HOUR), user_id: 'u1', partition: d.partitionFor('u1'), events: 1 },
    ]);
  });

  it('does not count a late event (behind the watermark)', () => {
    const d = fraudDriver();
    pipeEvents(d, [clickEvent('u1', T0 + HOUR + 10 * MIN), clickEvent('u1', T0 + 30 * MIN)]);
    expect(
      d
        .readTable<FraudUserActivityRow>(fraudUserActivityRow.table)
        .map((r) => [r.window_start, r.events]),
    ).toEqual([[iso(T0 + HOUR), 1]]);
  });

  it('follows the configured window, and writes nothing when outlier_activity is disabled', () => {
    const d = fraudDriver(fraudConfigWith({ outlier_activity: { windowMs: 30 * MIN } }));
    pipeEvents(d, [clickEvent('u1', T0 + 31 * MIN)]);
    expect(
      d.readTable<FraudUserActivityRow>(fraudUserActivityRow.table).map((r) => r.window_start),
    ).toEqual([iso(T0 + 30 * MIN)]);

    const off = fraudDriver(fraudConfigWith({ outlier_activity: { enabled: false } }));
    pipeEvents(off, [clickEvent('u1', T0)]);
    expect(off.readTable(fraudUserActivityRow.table)).toEqual([]);
  });
});
