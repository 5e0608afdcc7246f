/** The product code stands alone: nothing in src/ (tests aside) imports from test/ or bench/. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const OUTSIDE = [path.join(ROOT, 'test'), path.join(ROOT, 'bench')];
// Static and dynamic imports and re-exports: `from '…'`, `import('…')`, `import '…'`.
const SPECIFIER = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function productFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return productFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Relative imports of `file` that land in test/ or bench/. */
function importsFromOutside(file: string, text: string): string[] {
  return [...text.matchAll(SPECIFIER)]
    .map((m) => path.resolve(path.dirname(file), m[1]!))
    .filter((target) => OUTSIDE.some((dir) => target === dir || target.startsWith(dir + path.sep)))
    .map((target) => `${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`);
}

describe('source layout', () => {
  it('keeps src/ free of imports from test/ and bench/', () => {
    const found = productFiles(SRC).flatMap((f) => importsFromOutside(f, fs.readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('would notice such an import', () => {
    const file = path.join(SRC, 'retention', 'example.ts');
    expect(
      importsFromOutside(file, "import { x } from '../../test/retention/retention.fixture.ts';"),
    ).toEqual(['src/retention/example.ts → test/retention/retention.fixture.ts']);
    expect(importsFromOutside(file, "const m = await import('../../bench/support.ts');")).toHaveLength(1);
    expect(importsFromOutside(file, "import { y } from '../store/store.ts';")).toEqual([]);
  });
});
