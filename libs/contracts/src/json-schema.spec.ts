import { readFileSync } from 'node:fs';
import { EVENT_TYPE_INPUTS } from './event-types';
import { clickEventJsonSchema } from './event.schema';
import { CLICK_EVENT_JSON_SCHEMA_PATH, renderClickEventJsonSchema } from './write-json-schema';

interface PropertySchema {
  enum?: string[];
  default?: unknown;
  anyOf?: PropertySchema[];
  pattern?: string;
}

describe('click-event.v1.schema.json', () => {
  it('is the schema generated from clickEventSchema (run write-json-schema.ts after changing it)', () => {
    const committed: unknown = JSON.parse(readFileSync(CLICK_EVENT_JSON_SCHEMA_PATH, 'utf8'));
    // Compared as data, so reformatting the file (prettier) is not drift.
    expect(committed).toEqual(JSON.parse(renderClickEventJsonSchema()));
  });

  it('describes the input contract: required fields, open to unknown fields', () => {
    expect(clickEventJsonSchema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'urn:clickstream:schema:click-event:v1',
      type: 'object',
      required: ['event_time', 'event_type', 'user_id'],
      additionalProperties: {},
    });
  });

  it('lists every accepted event type, aliases included, and the defaults', () => {
    const properties = clickEventJsonSchema.properties as Record<string, PropertySchema>;
    expect(properties.event_type.enum).toEqual([...EVENT_TYPE_INPUTS]);
    expect(properties.quantity.default).toBe(1);
    expect(properties.currency.default).toBe('USD');
    expect(properties.event_time.anyOf?.[0].pattern).toBeDefined();
  });
});
