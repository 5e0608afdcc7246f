import ipaddr from 'ipaddr.js';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { PostalAddress } from './address.ts';

export type MaskLevel = 'none' | 'partial' | 'hidden';
export type FieldKind =
  'name' | 'phone' | 'email' | 'cpf' | 'cnpj' | 'tax_id' | 'ip' | 'address' | 'text' | 'cep';

/** What a hidden value is displayed as. */
export const HIDDEN = '[oculto]';

// Every partial mask below falls back to HIDDEN when the value does not have the expected shape:
// showing too little is a nuisance, showing too much is a leak.

function maskName(value: string): string {
  const words = value.normalize('NFC').trim().split(/\s+/u).filter(Boolean);
  if (words.length === 0) return HIDDEN;
  // Array.from keeps a non-BMP first letter whole.
  return words.map((word) => `${Array.from(word)[0] ?? ''}***`).join(' ');
}

function maskPhone(value: string): string {
  let national: string;
  let countryCode: string;
  try {
    const phone = parsePhoneNumberWithError(value, { defaultCountry: 'BR', extract: false });
    national = phone.nationalNumber;
    countryCode = phone.countryCallingCode;
  } catch {
    return HIDDEN;
  }
  if (national.length < 6) return HIDDEN;
  const last4 = national.slice(-4);
  if (countryCode === '55' && (national.length === 10 || national.length === 11)) {
    const area = national.slice(0, 2);
    const subscriber = national.slice(2);
    // The leading 9 of a Brazilian mobile is the same for every mobile, so it tells nothing about the person.
    const lead = subscriber.length === 9 ? subscriber[0] : '';
    return `+55 ${area} ${lead}****-${last4}`;
  }
  return `+${countryCode} ${'*'.repeat(national.length - 4)}${last4}`;
}

// Second-level labels under which the registrable name sits one level lower (exemplo.com.br).
const GENERIC_SECOND_LEVEL = /^(com|net|org|gov|edu|mil|co|ac|ind|adv|art|eng|med|nom|blog|tv|inf)$/;

function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1 || at === value.length - 1) return HIDDEN;
  const local = Array.from(value.slice(0, at));
  const labels = value.slice(at + 1).split('.');
  if (labels.length < 2 || labels.some((label) => label === '')) return HIDDEN;
  const suffixLength = labels.length >= 3 && GENERIC_SECOND_LEVEL.test(labels.at(-2) ?? '') ? 2 : 1;
  const suffix = labels.slice(-suffixLength).join('.');
  const name = Array.from(labels[0] ?? '');
  return `${local[0] ?? ''}***@${name[0] ?? ''}***.${suffix}`;
}

function maskCpf(value: string): string {
  const digits = value.replace(/[.\-\s]/g, '');
  if (!/^\d{11}$/.test(digits)) return HIDDEN;
  return `***.${digits.slice(3, 6)}.${digits.slice(6, 9)}-**`;
}

function maskCnpj(value: string): string {
  const chars = value.replace(/[./\-\s]/g, '').toUpperCase();
  if (!/^[0-9A-Z]{14}$/.test(chars)) return HIDDEN;
  return `**.***.***/${chars.slice(8, 12)}-${chars.slice(12)}`;
}

function maskTaxId(value: string): string {
  const length = value.replace(/[./\-\s]/g, '').length;
  if (length === 11) return maskCpf(value);
  if (length === 14) return maskCnpj(value);
  return HIDDEN;
}

function maskIp(value: string): string {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(value.trim());
  } catch {
    return HIDDEN;
  }
  if (address.kind() === 'ipv4') {
    const [a, b] = address.toByteArray();
    return `${a}.${b}.*.*`;
  }
  const [a, b] = (address as ipaddr.IPv6).parts;
  return `${(a ?? 0).toString(16)}:${(b ?? 0).toString(16)}:*:*:*:*:*:*`;
}

function maskCep(value: string): string {
  const digits = value.replace(/[.\-\s]/g, '');
  if (!/^\d{8}$/.test(digits)) return HIDDEN;
  // Three digits name a region (roughly a city or a zone of a capital), like the city/UF kept for addresses.
  return `${digits.slice(0, 3)}**-***`;
}

function maskAddressText(value: string): string {
  // An address travels as the JSON of a PostalAddress.
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return HIDDEN;
  }
  if (typeof parsed !== 'object' || parsed === null) return HIDDEN;
  const { city, state } = parsed as Record<string, unknown>;
  if (typeof city !== 'string' || typeof state !== 'string' || !city || !state) return HIDDEN;
  return `${city}/${state}`;
}

/** The value as the policy lets it be displayed: unchanged, partially masked, or the `[oculto]` placeholder. */
export function mask(kind: FieldKind, level: MaskLevel, value: string): string {
  if (level === 'none') return value;
  if (level !== 'partial') return HIDDEN;
  switch (kind) {
    case 'name':
      return maskName(value);
    case 'phone':
      return maskPhone(value);
    case 'email':
      return maskEmail(value);
    case 'cpf':
      return maskCpf(value);
    case 'cnpj':
      return maskCnpj(value);
    case 'tax_id':
      return maskTaxId(value);
    case 'ip':
      return maskIp(value);
    case 'address':
      return maskAddressText(value);
    case 'cep':
      return maskCep(value);
    case 'text':
      return HIDDEN;
    default:
      // A kind added later without a mask is hidden rather than shown.
      return HIDDEN;
  }
}

/** A postal address as the policy lets it be displayed: whole, only `City/UF`, or `[oculto]`. */
export function maskAddress(level: MaskLevel, address: PostalAddress): PostalAddress | string {
  if (level === 'none') return address;
  if (level !== 'partial') return HIDDEN;
  return `${address.city}/${address.state}`;
}
