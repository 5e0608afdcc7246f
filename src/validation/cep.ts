import { SigiloError } from '../errors.ts';
import { requireText } from './input.ts';

// 01310-100, 01310100 and the older 01.310-100.
const CEP_SHAPE = /^\d{2}\.?\d{3}-?\d{3}$/;

/** Returns the 8 digits of a CEP, or throws INVALID_CEP. */
export function normaliseCep(input: string, path: string): string {
  const text = requireText(input, path, { maxLength: 16, code: 'INVALID_CEP', allowBlank: true });
  if (!CEP_SHAPE.test(text)) {
    throw new SigiloError('INVALID_CEP', 'A CEP must have 8 digits', { path, reason: 'format' });
  }
  const digits = text.replace(/\D/g, '');
  // CEPs start at 01000-000; 00000-000 is the usual "unknown" filler and must not pass as an address.
  if (digits < '01000000') {
    throw new SigiloError('INVALID_CEP', 'A CEP cannot be below 01000-000', { path, reason: 'range' });
  }
  return digits;
}
