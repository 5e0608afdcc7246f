/**
 * Phone numbers as platforms write them ('011987654321', '(11) 98765-4321', '0 21 11 98765-4321', '+55...')
 * to E.164, fast: CDR ingestion sees hundreds of thousands a second. Common Brazilian writings take a hand-checked
 * fast path (tested against libphonenumber); anything else goes to libphonenumber-js once and is cached.
 * Extensions and other private numbers stay as written.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

// Valid Brazilian area codes (DDD), Anatel's numbering plan.
const DDD = new Set([
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46,
  47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85,
  86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
]);
const CACHE_LIMIT = 50_000;
const cache = new Map<string, string>();

/** `+55` + area code + subscriber when `d` (digits, no prefix) is a well-formed Brazilian number, else null. */
function brazilian(d: string): string | null {
  if (d.length !== 10 && d.length !== 11) return null;
  const ddd = (d.charCodeAt(0) - 48) * 10 + (d.charCodeAt(1) - 48);
  if (!DDD.has(ddd)) return null;
  const first = d.charCodeAt(2) - 48;
  if (d.length === 11 && first === 9) return `+55${d}`; // mobile: 9 + 8 digits
  if (d.length === 10 && first >= 2 && first <= 5) return `+55${d}`; // landline: 2-5 + 7 digits
  return null;
}

function slow(raw: string): string {
  const parsed = parsePhoneNumberFromString(raw, 'BR');
  return parsed?.isValid() ? parsed.number : raw;
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** E.164 for public numbers; the input unchanged for extensions, withheld ('') and unparseable values. */
export function fastNumber(raw: string): string {
  if (raw.length <= 6) return raw; // extensions, short codes, '' (withheld)
  const hit = cache.get(raw);
  if (hit !== undefined) return hit;
  let d = allDigits(raw) ? raw : raw.replace(/[\s().-]/g, '');
  let out: string | null = null;
  if (allDigits(d)) {
    if (d.startsWith('0') && !d.startsWith('00') && !/^0[3589]00/.test(d)) {
      d = d.slice(1);
      // A carrier selection code (CSP, 2 digits) may follow the trunk prefix: 0 + CSP + DDD + number.
      out = brazilian(d) ?? (d.length >= 12 ? brazilian(d.slice(2)) : null);
    } else if (d.startsWith('55') && (d.length === 12 || d.length === 13)) {
      out = brazilian(d.slice(2));
    } else {
      out = brazilian(d);
    }
  } else if (/^\+55\d{10,11}$/.test(d)) {
    out = brazilian(d.slice(3));
  }
  const result = out ?? slow(raw);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(raw, result);
  return result;
}
