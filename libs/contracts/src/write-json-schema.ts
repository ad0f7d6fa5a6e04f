/**
 * Regenerates the committed JSON Schemas from their zod schemas:
 *   npx tsx libs/contracts/src/write-json-schema.ts
 * json-schema.spec.ts fails when a committed file and its schema drift apart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fraudAlertJsonSchema } from './alert.schema';
import { clickEventJsonSchema } from './event.schema';
import { ruleRecordJsonSchema } from './fraud-rules';
import { deadLetterJsonSchema, lateEventJsonSchema } from './records';
import { SHARED_TABLE_ROWS } from './result-rows';

const SCHEMA_DIR = join(__dirname, '..', 'schema');

export const CLICK_EVENT_JSON_SCHEMA_PATH = join(SCHEMA_DIR, 'click-event.v1.schema.json');
export const FRAUD_ALERT_JSON_SCHEMA_PATH = join(SCHEMA_DIR, 'fraud-alert.v1.schema.json');
export const FRAUD_RULE_JSON_SCHEMA_PATH = join(SCHEMA_DIR, 'fraud-rule.v1.schema.json');
export const LATE_EVENT_JSON_SCHEMA_PATH = join(SCHEMA_DIR, 'late-event.v1.schema.json');
export const DEAD_LETTER_JSON_SCHEMA_PATH = join(SCHEMA_DIR, 'dead-letter.v1.schema.json');

/** The shared tables' rows (SHARED_TABLE_ROWS), by file. */
export const RESULT_ROW_JSON_SCHEMAS: ReadonlyArray<{
  path: string;
  schema: Record<string, unknown>;
}> = SHARED_TABLE_ROWS.map((row) => ({
  path: join(SCHEMA_DIR, `${row.name}.v1.schema.json`),
  schema: row.jsonSchema,
}));

const render = (schema: Record<string, unknown>) => `${JSON.stringify(schema, null, 2)}\n`;

export function renderClickEventJsonSchema(): string {
  return render(clickEventJsonSchema);
}

export function renderFraudAlertJsonSchema(): string {
  return render(fraudAlertJsonSchema);
}

export function renderFraudRuleJsonSchema(): string {
  return render(ruleRecordJsonSchema);
}

export const renderLateEventJsonSchema = (): string => render(lateEventJsonSchema);
export const renderDeadLetterJsonSchema = (): string => render(deadLetterJsonSchema);
export const renderJsonSchema = (schema: Record<string, unknown>): string => render(schema);

/** Formatted as the repository's prettier config would, so `prettier --check` stays quiet. */
async function formatLikeRepository(path: string, json: string): Promise<string> {
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(path);
  return prettier.format(json, { ...options, parser: 'json' });
}

async function main(): Promise<void> {
  const files: Array<[string, string]> = [
    [CLICK_EVENT_JSON_SCHEMA_PATH, renderClickEventJsonSchema()],
    [FRAUD_ALERT_JSON_SCHEMA_PATH, renderFraudAlertJsonSchema()],
    [FRAUD_RULE_JSON_SCHEMA_PATH, renderFraudRuleJsonSchema()],
    [LATE_EVENT_JSON_SCHEMA_PATH, renderLateEventJsonSchema()],
    [DEAD_LETTER_JSON_SCHEMA_PATH, renderDeadLetterJsonSchema()],
    ...RESULT_ROW_JSON_SCHEMAS.map(({ path, schema }): [string, string] => [path, render(schema)]),
  ];
  for (const [path, json] of files) {
    writeFileSync(path, await formatLikeRepository(path, json));
    console.log(`wrote ${path}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
