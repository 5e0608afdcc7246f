/**
 * Check-digit tests on bare digit strings, without exceptions or allocation: the guard tries many candidate runs
 * in every text, and the boundary validators (`src/validation`, `validation-br`) build an error object for each
 * refusal, which costs 30–250 µs a call. `check-digits.test.ts` compares every function here with those
 * validators on random and valid numbers, so the two cannot disagree.
 */

const digitAt = (s: string, i: number): number => s.charCodeAt(i) - 48;

function allSame(s: string): boolean {
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) !== s.charCodeAt(0)) return false;
  return true;
}

/** Receita's mod-11 digit over the first `weights.length` characters (character value = code − 48). */
function mod11(s: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += digitAt(s, i) * weights[i]!;
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

const CPF_1 = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const CPF_2 = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
/** 11 digits with both CPF check digits right (repeated digits are never issued). */
export function cpfDigitsValid(d: string): boolean {
  return (
    d.length === 11 && !allSame(d) && mod11(d, CPF_1) === digitAt(d, 9) && mod11(d, CPF_2) === digitAt(d, 10)
  );
}

const CNPJ_1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
/** 14 characters (upper-case letters allowed in the first 12) with both CNPJ check digits right. */
export function cnpjCharsValid(d: string): boolean {
  if (d.length !== 14 || allSame(d) || !/^[0-9A-Z]{12}\d{2}$/.test(d)) return false;
  return mod11(d, CNPJ_1) === digitAt(d, 12) && mod11(d, CNPJ_2) === digitAt(d, 13);
}

/**
 * CNH: 11 digits. Two algorithms circulate and we cannot tell from here which one DENATRAN issues under, so both
 * count (a CNH also needs its naming word): validation-br's (DV1 over weights 2…10, DV2 over the nine digits and
 * DV1 with weights 3…11, 2, each 11 − r with r < 2 → 0) and the older one (weights 9…1 and 1…9, a DV1 of 10
 * becomes 0 and takes 2 off DV2).
 */
export function cnhDigitsValid(d: string): boolean {
  if (d.length !== 11 || allSame(d)) return false;
  const dv = (sum: number): number => (sum % 11 < 2 ? 0 : 11 - (sum % 11));
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < 9; i++) {
    s1 += digitAt(d, i) * (i + 2);
    s2 += digitAt(d, i) * (i + 3);
  }
  const a1 = dv(s1);
  if (a1 === digitAt(d, 9) && dv(s2 + a1 * 2) === digitAt(d, 10)) return true;
  let v1 = 0;
  let v2 = 0;
  for (let i = 0; i < 9; i++) {
    v1 += digitAt(d, i) * (9 - i);
    v2 += digitAt(d, i) * (i + 1);
  }
  let b1 = v1 % 11;
  let discount = 0;
  if (b1 >= 10) {
    b1 = 0;
    discount = 2;
  }
  const x = v2 % 11;
  const b2 = x >= 10 ? 0 : x - discount;
  return b1 === digitAt(d, 9) && b2 === digitAt(d, 10);
}

const PIS_W = [3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
/** PIS/PASEP/NIS/NIT: 11 digits, DV = 11 − Σ d·(3,2,9…2) mod 11, 10 and 11 → 0. */
export function pisDigitsValid(d: string): boolean {
  if (d.length !== 11 || allSame(d)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += digitAt(d, i) * PIS_W[i]!;
  const dv = 11 - (sum % 11);
  return (dv >= 10 ? 0 : dv) === digitAt(d, 10);
}

/**
 * Título de eleitor: 12 digits, sequence (8) + UF (2, 01–28) + DV1 over the sequence (weights 2…9) + DV2 over UF
 * and DV1 (weights 7, 8, 9), each the remainder mod 11 with 10 → 0. TSE gives SP (01) and MG (02) a remainder of
 * 0 → 1; validation-br does not, so for those two either digit counts.
 */
export function tituloDigitsValid(d: string): boolean {
  if (d.length !== 12 || allSame(d)) return false;
  const uf = digitAt(d, 8) * 10 + digitAt(d, 9);
  if (uf < 1 || uf > 28) return false;
  const spOrMg = uf === 1 || uf === 2;
  const matches = (computed: number, written: number): boolean =>
    computed === written || (spOrMg && computed === 0 && written === 1);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += digitAt(d, i) * (i + 2);
  const dv1 = sum % 11 >= 10 ? 0 : sum % 11;
  if (!matches(dv1, digitAt(d, 10))) return false;
  const written1 = digitAt(d, 10);
  const dv2 = (digitAt(d, 8) * 7 + digitAt(d, 9) * 8 + written1 * 9) % 11;
  return matches(dv2 >= 10 ? 0 : dv2, digitAt(d, 11));
}

/** Cartão Nacional de Saúde: 15 digits starting 1, 2, 7, 8 or 9 whose Σ d·(15…1) is a multiple of 11. */
export function cnsDigitsValid(d: string): boolean {
  if (d.length !== 15 || !'12789'.includes(d[0] ?? '')) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) sum += digitAt(d, i) * (15 - i);
  return sum % 11 === 0;
}

/** Luhn (ISO/IEC 7812) over all digits. */
export function luhnValid(d: string): boolean {
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = digitAt(d, d.length - 1 - i);
    if (i % 2 === 1) n = n * 2 > 9 ? n * 2 - 9 : n * 2;
    sum += n;
  }
  return d.length > 0 && sum % 10 === 0;
}

// Area codes (DDD) in service under Anatel's numbering plan.
const DDD = new Set(
  (
    '11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38 41 42 43 44 45 46 47 48 49 51 53 54 55 ' +
    '61 62 63 64 65 66 67 68 69 71 73 74 75 77 79 81 82 83 84 85 86 87 88 89 91 92 93 94 95 96 97 98 99'
  ).split(' '),
);

/**
 * A Brazilian number by the numbering plan: optional 55 or trunk 0, an area code in service, then a mobile
 * (9 + 8 digits) or a landline (8 digits starting 2–5). Special ranges (0800, 4004, 100…) are not personal lines.
 */
export function brPhoneDigitsValid(d: string): boolean {
  let n = d;
  if ((n.length === 12 || n.length === 13) && n.startsWith('55')) n = n.slice(2);
  else if ((n.length === 11 || n.length === 12) && n.startsWith('0')) n = n.slice(1);
  if (!DDD.has(n.slice(0, 2))) return false;
  const local = n.slice(2);
  if (local.length === 9) return local[0] === '9' && local[1] !== '0';
  return local.length === 8 && local[0]! >= '2' && local[0]! <= '5';
}
