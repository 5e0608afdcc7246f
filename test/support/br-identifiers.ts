/** Brazilian identifier vectors for the CPF, CNPJ and tax-id tests, and the two ways of writing each value. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fixturePath } from './fixtures.ts';

const vector = z.object({ value: z.string(), source: z.string(), why: z.string().optional() });
const group = z.object({ valid: z.array(vector).min(1), invalid: z.array(vector).min(1) });
const fileSchema = z.object({ cpf: group, cnpj: group });

export type IdentifierVector = z.infer<typeof vector>;

/** The CPF/CNPJ vectors of test/fixtures/identifiers (origin and licence in its README); throws when missing. */
export function loadBrIdentifiers(): z.infer<typeof fileSchema> {
  const file = fixturePath('identifiers', 'br-identifiers.json');
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
