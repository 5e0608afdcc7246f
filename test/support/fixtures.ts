/** Files of test/fixtures (vectors and platform samples with their origin and licence in each folder's README). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's test/fixtures folder. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The path of a file under test/fixtures (`fixturePath('cdr', 'asterisk-csv/Master.csv')`); throws when it is missing. */
export function fixturePath(...segments: string[]): string {
  const file = path.join(FIXTURES_DIR, ...segments);
  if (!existsSync(file)) throw new Error(`test fixture missing: test/fixtures/${segments.join('/')}`);
  return file;
}
