import { ParseError, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { CountryCode, PhoneNumber } from 'libphonenumber-js/max';
import { SigiloError } from '../errors.ts';
import { requireText } from './input.ts';

/**
 * Parses a phone number with the full ("max") metadata: the smaller default metadata only checks lengths,
 * so it accepts area code 20 (unassigned) and an 8-digit mobile without the leading 9.
 */
export function parsePhone(input: string, path: string, defaultCountry: CountryCode = 'BR'): PhoneNumber {
  const text = requireText(input, path, { maxLength: 64, code: 'INVALID_PHONE', allowBlank: true });
  let phone: PhoneNumber;
  try {
    // extract: false refuses surrounding text ("tel: …") instead of silently picking a number out of it.
    phone = parsePhoneNumberWithError(text, { defaultCountry, extract: false });
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    // ParseError messages are fixed codes (NOT_A_NUMBER, TOO_SHORT …), never the input.
    throw new SigiloError(
      'INVALID_PHONE',
      'Not a phone number',
      { path, reason: err.message },
      { cause: err },
    );
  }
  if (phone.ext !== undefined) {
    // E.164 has no extension; dropping it silently would store a different number than the one given.
    throw new SigiloError('INVALID_PHONE', 'Phone extensions are not accepted', {
      path,
      reason: 'extension',
    });
  }
  if (!phone.isValid()) {
    throw new SigiloError('INVALID_PHONE', 'Not a valid phone number for its country', {
      path,
      reason: 'not_valid',
    });
  }
  return phone;
}

/** Returns a valid phone number in E.164 (`+5511987654321`); national writings are read as `defaultCountry`. */
export function normalisePhone(input: string, path: string, defaultCountry: CountryCode = 'BR'): string {
  return parsePhone(input, path, defaultCountry).number;
}
