import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const vector = z.object({ value: z.string(), source: z.string(), why: z.string().optional() });
const group = z.object({ valid: z.array(vector).min(1), invalid: z.array(vector).min(1) });
const fileSchema = z.object({ cpf: group, cnpj: group });

export type IdentifierVector = z.infer<typeof vector>;

/** The repository root: the nearest folder above this file holding package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above src/validation');
    dir = parent;
  }
  return dir;
}

/** The shared CPF/CNPJ vectors (`/work/shared/testdata/identifiers`); throws when the file is missing. */
export function loadBrIdentifiers(): z.infer<typeof fileSchema> {
  const file = path.resolve(repoRoot(), '../shared/testdata/identifiers/br-identifiers.json');
  if (!existsSync(file)) throw new Error(`Shared identifier vectors missing: ${file}`);
  return fileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** The vector without its separators, as the normalisers must return it (upper case). */
export function bare(value: string): string {
  return value.replace(/[./-]/g, '').toUpperCase();
}

/** The 11- or 14-character value written with the usual mask. */
export function masked(value: string): string {
  const v = bare(value);
  return v.length === 11
    ? `${v.slice(0, 3)}.${v.slice(3, 6)}.${v.slice(6, 9)}-${v.slice(9)}`
    : `${v.slice(0, 2)}.${v.slice(2, 5)}.${v.slice(5, 8)}/${v.slice(8, 12)}-${v.slice(12)}`;
}
