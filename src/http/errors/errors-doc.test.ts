import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../errors.ts';

const DOC = path.resolve(import.meta.dirname, '../../../docs/errors.md');
const ROW = /^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(.+?)\s*\|$/;

function documentedCodes(): Map<string, { status: number; meaning: string }> {
  const out = new Map<string, { status: number; meaning: string }>();
  for (const line of fs.readFileSync(DOC, 'utf8').split('\n')) {
    const m = ROW.exec(line.trim());
    if (m) out.set(m[1]!, { status: Number(m[2]), meaning: m[3]! });
  }
  return out;
}

describe('docs/errors.md', () => {
  const documented = documentedCodes();

  it('lists every error code with its HTTP status and meaning', () => {
    for (const [code, { status, meaning }] of Object.entries(ERROR_CODES)) {
      expect(documented.get(code), `docs/errors.md is missing or wrong about ${code}`).toEqual({
        status,
        meaning,
      });
    }
  });

  it('lists no code that does not exist', () => {
    const extra = [...documented.keys()].filter((code) => !(code in ERROR_CODES));
    expect(extra, 'docs/errors.md lists codes that src/errors.ts does not define').toEqual([]);
  });
});
