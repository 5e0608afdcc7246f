import ipaddr from 'ipaddr.js';
import { SigiloError } from '../errors.ts';
import { requireText } from './input.ts';

/**
 * Returns the canonical text of an IP address: IPv4 dotted decimal, IPv6 as RFC 5952 (lower case, compressed),
 * an IPv4-mapped IPv6 address as its IPv4. Throws INVALID_IP for anything else, including zone ids and CIDR.
 */
export function normaliseIp(input: string, path: string): string {
  const text = requireText(input, path, { maxLength: 64, code: 'INVALID_IP', allowBlank: true });
  // Only the four-part decimal form: ipaddr also reads "127.1", hex and octal ("010.0.0.1" = 8.0.0.1).
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text).toString();
  // A zone id names an interface of one host; it is not part of an address someone can be traced by.
  if (!text.includes('%') && ipaddr.IPv6.isValid(text)) {
    const address = ipaddr.IPv6.parse(text);
    if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
    return address.toRFC5952String();
  }
  throw new SigiloError('INVALID_IP', 'Not a valid IPv4 or IPv6 address', { path });
}

/** The version of an address already produced by `normaliseIp`. */
export function ipVersion(canonical: string): 4 | 6 {
  return canonical.includes(':') ? 6 : 4;
}
