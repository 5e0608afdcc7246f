import { SigiloError } from '../errors.ts';
import { requireText } from './input.ts';

const CNPJ_SEPARATORS = /[./-]/g;
// From July 2026 the first 12 characters may be letters; the two check digits stay numeric.
const CNPJ_SHAPE = /^[0-9A-Z]{12}\d{2}$/;
const FIRST_WEIGHTS = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;
const SECOND_WEIGHTS = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/** Check digit over `chars` with the given weights; each character is worth its ASCII code − 48. */
function cnpjCheckDigit(chars: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (chars.charCodeAt(i) - 48) * (weights[i] ?? 0);
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}

/** Returns the 14 upper-case characters of a valid CNPJ (numeric or alphanumeric), or throws INVALID_CNPJ. */
export function normaliseCnpj(input: string, path: string): string {
  const value = requireText(input, path, { maxLength: 40, code: 'INVALID_CNPJ', allowBlank: true })
    .replace(CNPJ_SEPARATORS, '')
    .toUpperCase();
  if (!CNPJ_SHAPE.test(value)) {
    throw new SigiloError(
      'INVALID_CNPJ',
      'A CNPJ must have 12 digits or letters followed by 2 check digits',
      {
        path,
        reason: 'format',
      },
    );
  }
  // 00.000.000/0000-00 and the like pass the check digits but are never issued.
  if (/^(.)\1{13}$/.test(value)) {
    throw new SigiloError('INVALID_CNPJ', 'A CNPJ cannot repeat one digit', {
      path,
      reason: 'repeated_digits',
    });
  }
  const first = cnpjCheckDigit(value, FIRST_WEIGHTS);
  const second = cnpjCheckDigit(value, SECOND_WEIGHTS);
  if (Number(value[12]) !== first || Number(value[13]) !== second) {
    throw new SigiloError('INVALID_CNPJ', 'CNPJ check digits do not match', { path, reason: 'check_digits' });
  }
  return value;
}

/** True when `input` is a valid CNPJ, numeric or alphanumeric, masked or bare. */
export function isValidCnpj(input: string): boolean {
  try {
    normaliseCnpj(input, 'cnpj');
    return true;
  } catch {
    return false;
  }
}
