import { ClickEvent, EVENT_TYPES } from '@clickstream/contracts';
import { clickEvent, T0 } from '../../../test/fraud-fixtures';
import { USER_RULE_SPECS, USER_RULES } from './user-rules';

/** Events that vary in everything a rule looks at, including the empty and missing cases. */
function variedEvents(): ClickEvent[] {
  const out: ClickEvent[] = [];
  const prices = [undefined, 0, 0.004, 12.5, 2_500];
  const ips = [undefined, '', '10.0.0.1', '10.0.0.2'];
  const countries = [undefined, null, '', 'de', 'FR'];
  for (const event_type of EVENT_TYPES)
    for (const price of prices)
      for (const ip of ips)
        for (const country of countries)
          out.push(
            clickEvent('u1', T0, { event_type, price, ip, country: country as string | undefined }),
          );
  return out;
}

describe('user rule specs: counts(event), the pre-check that skips a lookup', () => {
  const events = variedEvents();

  it.each(USER_RULES)(
    '%s: an event that add counts in some window always passes counts',
    (rule) => {
      const spec = USER_RULE_SPECS[rule];
      // Accumulators a window can hold: empty, and after each event that counted once.
      const accs = [
        spec.initial(),
        ...events.map((e) => spec.add(spec.initial(), e)).filter((a) => a !== undefined),
      ];
      const missed = events.filter(
        (e) => !spec.counts(e) && accs.some((acc) => spec.add(acc, e) !== undefined),
      );
      expect(missed).toEqual([]);
    },
  );

  it('skips the events the rules ignore: non-purchases for the purchase rules, no ip, no country', () => {
    const view = clickEvent('u1', T0, { event_type: 'view', ip: undefined, country: undefined });
    expect(USER_RULES.filter((rule) => USER_RULE_SPECS[rule].counts(view))).toEqual([
      'click_flood',
    ]);
    const free = clickEvent('u1', T0, {
      event_type: 'purchase',
      price: 0,
      ip: '10.0.0.1',
      country: 'DE',
    });
    expect(USER_RULES.filter((rule) => USER_RULE_SPECS[rule].counts(free))).toEqual([
      'click_flood',
      'ip_hopping',
      'purchase_velocity',
      'geo_velocity',
    ]);
  });
});
