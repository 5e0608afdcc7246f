/** The tests need nothing outside the repository, and every vector or sample they read says where it came from. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, fixturePath } from './fixtures.ts';

const ROOT = path.resolve(FIXTURES_DIR, '../..');
const CODE = /\.(?:ts|mts|js|mjs|cjs)$/;
// A path that leaves the repository for the shared test data it used to read (../shared/testdata, /work/shared).
const OUTSIDE = /\.\.\/shared\b|\/work\/shared\b|\btestdata\b/;
const THIS_FILE = path.relative(ROOT, import.meta.filename);

/** Repository-relative paths of the code files under `dir`. */
function codeFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => CODE.test(f))
    .map((f) => path.join(dir, f));
}

const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');

describe('test data', () => {
  it('is read from inside the repository by every test, helper and benchmark', () => {
    const files = [
      ...codeFiles('src'),
      ...codeFiles('test'),
      ...codeFiles('bench'),
      'vitest.config.ts',
    ].filter((f) => f !== THIS_FILE);
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => OUTSIDE.test(read(f)))).toEqual([]);
  });

  it('is read by no module of the product (src/ outside its test files)', () => {
    const product = codeFiles('src').filter((f) => !f.endsWith('.test.ts'));
    expect(product.filter((f) => /test\/fixtures|support\/fixtures/.test(read(f)))).toEqual([]);
  });

  it('comes with a README in each folder naming its origin, its licence and every file', () => {
    const folders = fs.readdirSync(FIXTURES_DIR, { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(folders.map((d) => d.name).sort()).toEqual(['cdr', 'crypto', 'guard', 'identifiers']);
    for (const { name } of folders) {
      const readme = fs.readFileSync(fixturePath(name, 'README.md'), 'utf8');
      expect(readme, `${name}/README.md`).toMatch(/origin/i);
      expect(readme, `${name}/README.md`).toMatch(/licen[cs]e/i);
      const data = fs
        .readdirSync(path.join(FIXTURES_DIR, name), { recursive: true, encoding: 'utf8' })
        .filter((f) => f !== 'README.md' && fs.statSync(path.join(FIXTURES_DIR, name, f)).isFile());
      expect(data.length, name).toBeGreaterThan(0);
      for (const file of data) expect(readme, `${name}/README.md names ${file}`).toContain(file);
    }
  });

  it('names the missing file when a fixture is not there', () => {
    expect(() => fixturePath('cdr', 'no-such-sample.csv')).toThrow('test/fixtures/cdr/no-such-sample.csv');
  });
});
