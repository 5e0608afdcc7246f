import validator from 'validator';
import { SigiloError } from '../errors.ts';
import { requireText } from './input.ts';

/** Returns the trimmed, NFC, lower-cased e-mail address, or throws INVALID_EMAIL. */
export function normaliseEmail(input: string, path: string): string {
  // NFC and lower case so that one address always gives one blind index, however it was typed.
  const email = requireText(input, path, { maxLength: 320, code: 'INVALID_EMAIL', allowBlank: true })
    .normalize('NFC')
    .toLowerCase();
  if (!validator.isEmail(email, { allow_display_name: false, require_tld: true, allow_ip_domain: false })) {
    throw new SigiloError('INVALID_EMAIL', 'Not a valid e-mail address', { path });
  }
  return email;
}
