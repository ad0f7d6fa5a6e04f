import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { EVENT_TYPE_INPUTS } from './event-types';
import { ALERT_RULES, fraudAlertJsonSchema } from './alert.schema';
import { clickEventJsonSchema } from './event.schema';
import {
  CLICK_EVENT_JSON_SCHEMA_PATH,
  FRAUD_ALERT_JSON_SCHEMA_PATH,
  renderClickEventJsonSchema,
  renderFraudAlertJsonSchema,
  renderJsonSchema,
  RESULT_ROW_JSON_SCHEMAS,
} from './write-json-schema';

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

describe('fraud-alert.v1.schema.json', () => {
  it('is the schema generated from fraudAlertSchema (run write-json-schema.ts after changing it)', () => {
    const committed: unknown = JSON.parse(readFileSync(FRAUD_ALERT_JSON_SCHEMA_PATH, 'utf8'));
    expect(committed).toEqual(JSON.parse(renderFraudAlertJsonSchema()));
  });

  it('describes the alert record of SPEC §7: every field required, nothing else', () => {
    expect(fraudAlertJsonSchema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'urn:clickstream:schema:fraud-alert:v1',
      type: 'object',
      additionalProperties: false,
      required: [
        'alert_id',
        'rule',
        'severity',
        'user_id',
        'window_start',
        'window_end',
        'value',
        'threshold',
        'detected_at',
        'evidence',
      ],
    });
    const properties = fraudAlertJsonSchema.properties as Record<string, PropertySchema>;
    expect(properties.rule.enum).toEqual([...ALERT_RULES]);
    expect(properties.severity.enum).toEqual(['low', 'medium', 'high']);
  });
});

describe('result row JSON Schemas (schema/*-row.v1.schema.json)', () => {
  it.each(
    RESULT_ROW_JSON_SCHEMAS.map(({ path, schema }) => [basename(path), path, schema] as const),
  )(
    '%s is the schema generated from its row contract (run write-json-schema.ts after changing it)',
    (_name, path, schema) => {
      const committed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      expect(committed).toEqual(JSON.parse(renderJsonSchema(schema)));
    },
  );

  it('name each column’s Postgres type and the table’s key', () => {
    expect(RESULT_ROW_JSON_SCHEMAS.map(({ schema }) => schema.$id)).toEqual([
      'urn:clickstream:schema:session-row:v1',
      'urn:clickstream:schema:window-aggregate-row:v1',
      'urn:clickstream:schema:product-hour-aggregate-row:v1',
      'urn:clickstream:schema:alert-row:v1',
      'urn:clickstream:schema:fraud-user-activity-row:v1',
      'urn:clickstream:schema:aggregate-progress-row:v1',
      'urn:clickstream:schema:fraud-rule-baseline-row:v1',
      'urn:clickstream:schema:fraud-rule-change-row:v1',
    ]);
    const [sessions] = RESULT_ROW_JSON_SCHEMAS;
    const properties = sessions.schema.properties as Record<string, Record<string, unknown>>;
    expect(properties.revenue['x-postgres-type']).toBe('numeric(38,2)');
    expect(sessions.schema).toMatchObject({
      'x-postgres-table': 'sessions',
      'x-postgres-primary-key': ['session_id'],
      additionalProperties: false,
    });
  });
});
