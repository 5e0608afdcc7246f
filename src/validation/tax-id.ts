import { SigiloError } from '../errors.ts';
import { normaliseCnpj } from './cnpj.ts';
import { normaliseCpf } from './cpf.ts';
import { requireText } from './input.ts';

/** A CPF (person) or CNPJ (company), normalised. */
export interface TaxId {
  kind: 'cpf' | 'cnpj';
  value: string;
}

/** Reads a CPF or a CNPJ, chosen by length once separators are removed; throws INVALID_TAX_ID, INVALID_CPF or INVALID_CNPJ. */
export function normaliseTaxId(input: string, path: string): TaxId {
  const bare = requireText(input, path, { maxLength: 40, code: 'INVALID_TAX_ID', allowBlank: true }).replace(
    /[./-]/g,
    '',
  );
  // Spaces or symbols mean it is not a document at all, whatever its length.
  const looksLikeDocument = /^[0-9A-Za-z]+$/.test(bare);
  if (looksLikeDocument && bare.length === 11) return { kind: 'cpf', value: normaliseCpf(input, path) };
  if (looksLikeDocument && bare.length === 14) return { kind: 'cnpj', value: normaliseCnpj(input, path) };
  throw new SigiloError('INVALID_TAX_ID', 'A document must have 11 (CPF) or 14 (CNPJ) characters', {
    path,
    reason: 'length',
  });
}
