import { SigiloError } from '../errors.ts';
import { requireText } from './input.ts';

// Bare or masked (123.456.789-09); dots and the hyphen may appear anywhere, nothing else may.
const CPF_SEPARATORS = /[.-]/g;
const ELEVEN_DIGITS = /^\d{11}$/;

/** The check digit the Receita Federal algorithm gives for `digits` (weights n+1 … 2). */
function cpfCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * (digits.length + 1 - i);
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}

/** Returns the 11 digits of a valid CPF, or throws INVALID_CPF naming `path`. */
export function normaliseCpf(input: string, path: string): string {
  const digits = requireText(input, path, { maxLength: 32, code: 'INVALID_CPF', allowBlank: true }).replace(
    CPF_SEPARATORS,
    '',
  );
  if (!ELEVEN_DIGITS.test(digits)) {
    throw new SigiloError('INVALID_CPF', 'A CPF must have 11 digits', { path, reason: 'format' });
  }
  // 000.000.000-00 … 999.999.999-99 pass the check digits but are never issued.
  if (/^(\d)\1{10}$/.test(digits)) {
    throw new SigiloError('INVALID_CPF', 'A CPF cannot repeat one digit', {
      path,
      reason: 'repeated_digits',
    });
  }
  const first = cpfCheckDigit(digits.slice(0, 9));
  const second = cpfCheckDigit(digits.slice(0, 10));
  if (Number(digits[9]) !== first || Number(digits[10]) !== second) {
    throw new SigiloError('INVALID_CPF', 'CPF check digits do not match', { path, reason: 'check_digits' });
  }
  return digits;
}

/** True when `input` is a valid CPF, masked or bare. */
export function isValidCpf(input: string): boolean {
  try {
    normaliseCpf(input, 'cpf');
    return true;
  } catch {
    return false;
  }
}
