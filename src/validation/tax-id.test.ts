import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { bare, loadBrIdentifiers } from '../../test/support/br-identifiers.ts';
import { normaliseTaxId } from './tax-id.ts';

const vectors = loadBrIdentifiers();

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isSigiloError(err)) return `${err.code} ${String(err.details.path)}`;
    throw err;
  }
  return 'no error';
}

describe('normaliseTaxId', () => {
  it('reads every shared valid CPF as a CPF and every valid CNPJ as a CNPJ', () => {
    for (const { value } of vectors.cpf.valid) {
      expect(normaliseTaxId(value, 'doc')).toEqual({ kind: 'cpf', value: bare(value) });
    }
    for (const { value } of vectors.cnpj.valid) {
      expect(normaliseTaxId(value.toLowerCase(), 'doc')).toEqual({ kind: 'cnpj', value: bare(value) });
    }
  });

  it('refuses an invalid value with the code of the document its length says it is', () => {
    for (const { value } of vectors.cpf.invalid)
      expect(codeOf(() => normaliseTaxId(value, 'doc'))).toBe('INVALID_CPF doc');
    for (const { value } of vectors.cnpj.invalid) {
      expect(codeOf(() => normaliseTaxId(value, 'doc'))).toBe('INVALID_CNPJ doc');
    }
  });

  it.each(['', '123', '390.533.447-051', '071953580001660', 'not a document', '390 533 447 05'])(
    'refuses %j, which is neither a CPF nor a CNPJ in shape',
    (value) => {
      expect(codeOf(() => normaliseTaxId(value, 'doc'))).toBe('INVALID_TAX_ID doc');
    },
  );
});
