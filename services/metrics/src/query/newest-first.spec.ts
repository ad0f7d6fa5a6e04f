import { alertRow, sessionRow } from '@clickstream/contracts';
import { contractRow, NewestFirstRepository } from './newest-first';

describe('NewestFirstRepository', () => {
  it('filters by equality, with IS NOT NULL for a nullable column, then range, cursor and limit', async () => {
    const calls: Array<{ sql: string; values: unknown[] }> = [];
    const pool = {
      query: async (sql: string, values: unknown[]) => (calls.push({ sql, values }), { rows: [] }),
    };
    const alerts = new NewestFirstRepository(pool as never, alertRow, 'window_start', 'alert_id', [
      'rule',
      'user_id',
    ]);
    const from = new Date('2024-01-01T00:00:00Z');
    await alerts.list({
      user_id: 'u1',
      from,
      after: ['2024-01-01T10:00:00.000000Z', 'a1'],
      limit: 5,
    });
    const where = calls[0].sql.replace(/\s+/g, ' ');
    expect(where).toContain(
      'WHERE user_id = $1 AND user_id IS NOT NULL AND window_start >= $2 AND window_start <= $3::timestamptz AND (window_start, alert_id) < ($3::timestamptz, $4)',
    );
    expect(where).toContain('ORDER BY window_start DESC, alert_id DESC LIMIT $5');
    expect(calls[0].values).toEqual(['u1', from, '2024-01-01T10:00:00.000000Z', 'a1', 6]);
  });
});

describe('contractRow', () => {
  it('gives timestamps as ISO strings and numeric as numbers, keeps nulls and drops the cursor key', () => {
    const started = new Date('2024-01-01T10:00:00.123Z');
    const selected = {
      session_id: 's',
      user_id: 'u',
      started_at: started,
      last_event_at: started,
      duration_s: 1.5,
      event_count: 2,
      event_counts: { view: 2 },
      revenue: '12.50',
      funnel_stage: 'view',
      converted: false,
      bounced: false,
      client_session_ids: ['c'],
      status: 'open',
      closed_at: null,
      k: 'key',
    } as const;
    expect(contractRow(sessionRow, selected as never)).toEqual({
      ...selected,
      started_at: '2024-01-01T10:00:00.123Z',
      last_event_at: '2024-01-01T10:00:00.123Z',
      revenue: 12.5,
      k: undefined,
    });
    expect(Object.keys(contractRow(sessionRow, selected as never))).not.toContain('k');
  });
});
