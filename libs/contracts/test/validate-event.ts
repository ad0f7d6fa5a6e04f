import { ClickEvent, ValidateEventOptions, validateEvent } from '../src/event.schema';
import { ValidationIssue } from '../src/validation-issue';

/** Shared by the event contract's specs: a fixed clock, fixed ids and the smallest valid event. */
export const NOW = Date.parse('2019-10-02T00:00:00.000Z');
export const OPTS: ValidateEventOptions = { now: NOW, newId: () => 'generated-id' };
export const minimal = { event_time: '2019-10-01T00:00:00Z', event_type: 'view', user_id: 'u1' };

/** The accepted event, its stored JSON and whether its id was minted; throws with the issues when refused. */
export function accepted(
  raw: unknown,
  opts: ValidateEventOptions = OPTS,
): { event: ClickEvent; json: string; assignedId: boolean } {
  const result = validateEvent(raw, opts);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result.errors)}`);
  return result;
}

/** The issues of a refused event; throws when it is accepted. */
export function refused(raw: unknown, opts: ValidateEventOptions = OPTS): ValidationIssue[] {
  const result = validateEvent(raw, opts);
  if (result.ok) throw new Error(`expected an invalid event, got ${result.json}`);
  return result.errors;
}
