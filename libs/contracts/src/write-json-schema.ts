/**
 * Regenerates schema/click-event.v1.schema.json from clickEventSchema:
 *   npx tsx libs/contracts/src/write-json-schema.ts
 * json-schema.spec.ts fails when the committed file and the schema drift apart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clickEventJsonSchema } from './event.schema';

export const CLICK_EVENT_JSON_SCHEMA_PATH = join(
  __dirname,
  '..',
  'schema',
  'click-event.v1.schema.json',
);

export function renderClickEventJsonSchema(): string {
  return `${JSON.stringify(clickEventJsonSchema, null, 2)}\n`;
}

/** Formatted as the repository's prettier config would, so `prettier --check` stays quiet. */
async function formatLikeRepository(json: string): Promise<string> {
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(CLICK_EVENT_JSON_SCHEMA_PATH);
  return prettier.format(json, { ...options, parser: 'json' });
}

async function main(): Promise<void> {
  writeFileSync(
    CLICK_EVENT_JSON_SCHEMA_PATH,
    await formatLikeRepository(renderClickEventJsonSchema()),
  );
  console.log(`wrote ${CLICK_EVENT_JSON_SCHEMA_PATH}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
