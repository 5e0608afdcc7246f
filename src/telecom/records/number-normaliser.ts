/**
 * Phone numbers as platforms write them ('011987654321', '(11) 98765-4321', '0 21 11 98765-4321', '+55...')
 * to E.164, fast: CDR ingestion sees hundreds of thousands a second. Common Brazilian writings take a hand-checked
 * fast path (tested against libphonenumber); anything else goes to libphonenumber-js once and is cached.
 * Extensions and other private numbers stay as written.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

// Valid Brazilian area codes (DDD), Anatel's numbering plan, as a lookup table indexed by the two digits.
const DDD = new Uint8Array(100);
for (const d of [
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46,
  47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85,
  86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
])
  DDD[d] = 1;
const CACHE_LIMIT = 50_000;
// Only for what the fast path cannot answer: libphonenumber costs ~10 µs a call.
const slowCache = new Map<string, string>();

/** `+55` + area code + subscriber when `d` (digits, no prefix) is a well-formed Brazilian number, else null. */
function brazilian(d: string): string | null {
  if (d.length !== 10 && d.length !== 11) return null;
  if (DDD[(d.charCodeAt(0) - 48) * 10 + (d.charCodeAt(1) - 48)] !== 1) return null;
  const first = d.charCodeAt(2) - 48;
  if (d.length === 11 && first === 9) return `+55${d}`; // mobile: 9 + 8 digits
  if (d.length === 10 && first >= 2 && first <= 5) return `+55${d}`; // landline: 2-5 + 7 digits
  return null;
}

/** 0300, 0500, 0800 and 0900 numbers (non-geographic: 4 digits + 7); `d` is all digits. */
function nonGeographic(d: string): string | null {
  if (
    d.length === 11 &&
    d.charCodeAt(0) === 48 &&
    d.charCodeAt(2) === 48 &&
    d.charCodeAt(3) === 48 &&
    NON_GEOGRAPHIC.has(d.charCodeAt(1))
  )
    return `+55${d.slice(1)}`;
  return null;
}
const NON_GEOGRAPHIC = new Set([51, 53, 56, 57]); // '3', '5', '8', '9'

function slow(raw: string): string {
  const hit = slowCache.get(raw);
  if (hit !== undefined) return hit;
  const parsed = parsePhoneNumberFromString(raw, 'BR');
  // Cached strings are copied: `raw` may be a slice of a reader's whole input chunk, which a cache entry would
  // otherwise keep alive for as long as it stays (a streaming import ran out of heap that way).
  const key = ownCopy(raw);
  const result = parsed?.isValid() ? ownCopy(parsed.number) : key;
  if (slowCache.size >= CACHE_LIMIT) slowCache.clear();
  slowCache.set(key, result);
  return result;
}

function ownCopy(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** E.164 from digits only, or null when the fast path does not know the writing. */
function fromDigits(d: string): string | null {
  if (d.charCodeAt(0) === 48) {
    if (d.charCodeAt(1) === 48) return null; // international prefix: libphonenumber's job
    const ng = nonGeographic(d);
    if (ng !== null) return ng;
    const rest = d.slice(1);
    // A carrier selection code (CSP, 2 digits) may follow the trunk prefix: 0 + CSP + DDD + number.
    return brazilian(rest) ?? (rest.length >= 12 ? brazilian(rest.slice(2)) : null);
  }
  if (d.charCodeAt(0) === 53 && d.charCodeAt(1) === 53 && (d.length === 12 || d.length === 13))
    return brazilian(d.slice(2));
  return brazilian(d);
}

/** E.164 for public numbers; the input unchanged for extensions, withheld ('') and unparseable values. */
export function fastNumber(raw: string): string {
  if (raw.length <= 6) return raw; // extensions, short codes, '' (withheld)
  let out: string | null = null;
  if (allDigits(raw)) out = fromDigits(raw);
  else {
    const d = raw.replace(/[\s().-]/g, '');
    if (allDigits(d)) out = fromDigits(d);
    else if (/^\+55\d{10,11}$/.test(d)) out = brazilian(d.slice(3));
  }
  return out ?? slow(raw);
}
