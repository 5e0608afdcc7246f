/**
 * Brazilian identifiers in free text. Numbers are read as chains of digit groups (so "123 456 789 09",
 * "123.456.789-09" and "12345678909" are the same candidate), every contiguous run of groups is tried longest
 * first, and a run counts only when its check digits pass (CPF, CNPJ, CNH, PIS/NIS, título, CNS, card) or, for
 * identifiers without any (RG, CEP, a phone without area code), when a naming word stands right before it.
 * Words like "protocolo" or "IMEI" before a number say it is something else, and win over a passing check digit.
 */
import ipaddr from 'ipaddr.js';
import {
  brPhoneDigitsValid,
  cnhDigitsValid,
  cnpjCharsValid,
  cnsDigitsValid,
  cpfDigitsValid,
  luhnValid,
  pisDigitsValid,
  tituloDigitsValid,
} from './check-digits.ts';
import type { GuardFinding, IdentifierClass } from './guard-classes.ts';

/** How far back (in UTF-16 units) a naming word may stand from the number it names. */
const CONTEXT = 40;

type Keyworded = IdentifierClass | 'negative';

// Naming words, in folded text (lower case, no accents). Document words are specific; phone words are generic
// ("numero", "linha") and only count when no document word or negative word is nearer.
const DOCUMENT_WORDS: [Keyworded, RegExp][] = [
  ['cpf', /\bcpf\b/g],
  ['cnpj', /\bcnpj\b/g],
  ['rg', /\b(?:rg|r\.g\.|identidade|registro geral)\b/g],
  ['cnh', /\b(?:cnh|habilitacao|carteira de motorista)\b/g],
  ['pis', /\b(?:pis|pasep|nis|nit)\b/g],
  ['titulo_eleitor', /\b(?:titulo|eleitor|eleitoral)\b/g],
  ['cns', /\b(?:cns|sus|cartao nacional de saude)\b/g],
  ['cep', /\bcep\b/g],
  ['card', /\b(?:cartao|credito|debito|visa|mastercard|amex)\b/g],
  [
    'negative',
    /\b(?:protocolo|ordem de servico|chamado|imei|serie|serial|nota fiscal|boleto|codigo de barras|versao|firmware|build|dns|(?:os|nf)(?=\s*(?:n[o\u00ba\u00b0.]*\s*)?\d))\b/g,
  ],
];
const PHONE_WORDS =
  /\b(?:tel|telefones?|fones?|celular|celulares|cel|whats|whatsapp|zap|liga|ligar|ligue|ligacoes|linhas?|numeros?|fixo|contato|portabilidade|sms)\b/g;

/** The classes whose number needs a naming word: without check digits, or too easily passed by chance. */
const NEEDS_WORD = new Set<IdentifierClass>(['rg', 'cnh', 'pis', 'titulo_eleitor', 'cns']);

interface Group {
  start: number;
  end: number;
  digits: string;
  /** Joined to the previous group by one '.', '-' or '/': the two are one written number and are not split. */
  bound: boolean;
}

// A digit group, optionally ending in the RG check "X"; groups joined by up to three separators.
const GROUP = /\d+(?:[xX]\b)?/g;
const SEPARATOR = /^[\s.\-/()]{1,3}$/;
const MAX_DIGITS = 19;

/** Card number: 13–19 digits, a known network's first digit, Luhn. */
function isCard(d: string): boolean {
  return d.length >= 13 && d.length <= 19 && '23456'.includes(d[0] ?? '') && luhnValid(d);
}

/** A local number without area code (9-digit mobile starting with 9, 8-digit landline starting 2–5). */
function isLocalPhone(d: string): boolean {
  return (d.length === 9 && d[0] === '9') || (d.length === 8 && '2345'.includes(d[0] ?? ''));
}

/** Which classes a run of digits could be, by length and check digits alone. */
function candidates(d: string): Set<IdentifierClass> {
  const out = new Set<IdentifierClass>();
  const hasX = d.endsWith('X') || d.endsWith('x');
  const n = d.length;
  if (hasX) {
    if (n >= 6 && n <= 10) out.add('rg');
    return out;
  }
  if (n >= 6 && n <= 10) out.add('rg');
  if (n === 8 && d >= '01000000') out.add('cep');
  if (isLocalPhone(d)) out.add('phone');
  if (n === 11) {
    if (cpfDigitsValid(d)) out.add('cpf');
    if (cnhDigitsValid(d)) out.add('cnh');
    if (pisDigitsValid(d)) out.add('pis');
  }
  if (n === 12 && tituloDigitsValid(d)) out.add('titulo_eleitor');
  if (n >= 10 && n <= 13 && brPhoneDigitsValid(d)) out.add('phone');
  if (n === 14 && cnpjCharsValid(d)) out.add('cnpj');
  if (cnsDigitsValid(d)) out.add('cns');
  if (isCard(d)) out.add('card');
  return out;
}

/** Classes that may be reported without any naming word, most specific first. */
const UNNAMED_ORDER: IdentifierClass[] = ['cnpj', 'cpf', 'card', 'phone', 'cep'];
/** A masked CEP stays a CEP when no word names it; bare phones and CEPs need their word. */
function unnamed(classes: Set<IdentifierClass>, d: string, masked: string): IdentifierClass | undefined {
  for (const c of UNNAMED_ORDER) {
    if (!classes.has(c)) continue;
    if (c === 'phone' && d.length < 10) continue;
    if (c === 'cep' && !/^\d{5}-\d{3}$|^\d{2}\.\d{3}-\d{3}$/.test(masked)) continue;
    return c;
  }
  return undefined;
}

interface WordHit {
  kind: Keyworded;
  end: number;
}

/** Naming words in the folded text, each with where it ends. */
function wordHits(folded: string): { documents: WordHit[]; phones: number[] } {
  const documents: WordHit[] = [];
  for (const [kind, re] of DOCUMENT_WORDS) {
    re.lastIndex = 0;
    for (const m of folded.matchAll(re)) documents.push({ kind, end: m.index + m[0].length });
  }
  documents.sort((a, b) => a.end - b.end);
  const phones = [...folded.matchAll(PHONE_WORDS)].map((m) => m.index + m[0].length);
  return { documents, phones };
}

/** Decides the class of one run of digits from its candidates and the words before it. */
function classify(
  d: string,
  masked: string,
  start: number,
  words: ReturnType<typeof wordHits>,
): { cls: IdentifierClass; confidence: number } | undefined {
  const classes = candidates(d);
  if (classes.size === 0) return undefined;
  // Nearest first: the word right before a number names it, an earlier one may name an earlier number.
  const near = words.documents.filter((w) => w.end <= start && start - w.end <= CONTEXT).reverse();
  for (const w of near) {
    if (w.kind === 'negative') return undefined;
    if (classes.has(w.kind)) return { cls: w.kind, confidence: 0.99 };
  }
  if (classes.has('phone') && words.phones.some((end) => end <= start && start - end <= CONTEXT)) {
    return { cls: 'phone', confidence: 0.95 };
  }
  const cls = unnamed(classes, d, masked);
  if (!cls || NEEDS_WORD.has(cls)) return undefined;
  return { cls, confidence: cls === 'phone' || cls === 'cep' ? 0.8 : 0.9 };
}

function overlaps(found: GuardFinding[], start: number, end: number): boolean {
  return found.some((f) => start < f.end && end > f.start);
}

const LOCAL_PART = /[\p{L}\d._%+-]/u;
const DOMAIN = /\s?[a-z\d-]+(?:\.[a-z\d-]+)+/iy;
const HEX_COLON = /[\da-f]:[\da-f:]/i;

/** Address shape the guard accepts: one @, a local part, dot-separated labels, a TLD of 2+ letters. */
function plausibleEmail(value: string): boolean {
  const at = value.indexOf('@');
  if (at < 1 || value.length > 254 || at > 64) return false;
  const labels = value.slice(at + 1).split('.');
  const tld = labels.at(-1) ?? '';
  return (
    labels.length >= 2 &&
    /^[a-z]{2,}$/i.test(tld) &&
    labels.every((l) => l.length > 0 && !l.startsWith('-') && !l.endsWith('-'))
  );
}

/**
 * E-mail spans, found from each '@' outwards: one regex pass over the whole text costs about twenty times a
 * plain scan (the local part may start at any letter), while text without '@' needs no work at all.
 */
function emailSpans(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && start > at - 64 && LOCAL_PART.test(text[start - 1]!)) start--;
    DOMAIN.lastIndex = at + 1;
    const domain = DOMAIN.exec(text);
    if (start === at || !domain) continue;
    const written = text.slice(start, at + 1 + domain[0].length).replace(/[.-]+$/, '');
    if (plausibleEmail(written.replace(/@\s/, '@'))) out.push([start, start + written.length]);
  }
  return out;
}
const EMAIL_SPOKEN = /\b[a-z\d._%+-]+\s+arroba\s+[a-z\d-]+(?:\.[a-z\d-]+)+/gi;
const UUID_V4 = /\b[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}\b/gi;
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)/g;
const IPV6 = /(?<![\w:])(?:[\da-f]{0,4}:){2,7}[\da-f]{0,4}(?![\w:])/gi;
const CNPJ_ALNUM = /\b[\dA-Z]{2}[.\s]?[\dA-Z]{3}[.\s]?[\dA-Z]{3}[/\s]?[\dA-Z]{4}[-\s]?\d{2}\b/gi;
// Public resolvers are not anyone's address.
const WELL_KNOWN_IPS = new Set(['8.8.8.8', '8.8.4.4', '1.1.1.1', '1.0.0.1', '9.9.9.9', '208.67.222.222']);

/** An address that can point at a subscriber: public unicast, not a documentation or resolver address. */
function isPublicIp(text: string): boolean {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return ipaddr.IPv4.parse(text).range() === 'unicast' && !WELL_KNOWN_IPS.has(text);
  }
  if (!ipaddr.IPv6.isValid(text)) return false;
  const range = ipaddr.IPv6.parse(text).range();
  return range === 'unicast';
}

/** Words right before an address that say it is a version or a resolver, not a host. */
const NOT_AN_ADDRESS = /\b(?:versao|version|firmware|build|release|v)\b[^.,;!?]{0,25}$|\bdns\s*[:.]?\s*$/;

/** Every identifier in `text`; `folded` is `foldText(text)`. */
export function detectIdentifiers(text: string, folded: string): GuardFinding[] {
  const found: GuardFinding[] = [];
  const add = (cls: IdentifierClass, start: number, end: number, confidence: number): void => {
    if (!overlaps(found, start, end)) found.push({ class: cls, start, end, confidence });
  };

  for (const [start, end] of emailSpans(text)) add('email', start, end, 0.99);
  if (folded.includes('arroba')) {
    for (const m of text.matchAll(EMAIL_SPOKEN)) {
      if (plausibleEmail(m[0].replace(/\s+arroba\s+/i, '@')))
        add('email', m.index, m.index + m[0].length, 0.9);
    }
  }
  // Every version-4 UUID has '-4' at its third group: text without it needs no pass.
  for (const m of text.includes('-4') ? text.matchAll(UUID_V4) : []) {
    add('pix_key', m.index, m.index + m[0].length, 0.9);
  }
  for (const m of text.matchAll(IPV4)) {
    if (NOT_AN_ADDRESS.test(folded.slice(Math.max(0, m.index - 30), m.index))) continue;
    if (isPublicIp(m[0])) add('ip', m.index, m.index + m[0].length, 0.95);
  }
  for (const m of HEX_COLON.test(text) ? text.matchAll(IPV6) : []) {
    if (m[0].split(':').length >= 3 && isPublicIp(m[0])) add('ip', m.index, m.index + m[0].length, 0.95);
  }
  for (const m of text.matchAll(CNPJ_ALNUM)) {
    const value = m[0].replace(/\s/g, '');
    if (/[a-z]/i.test(value) && cnpjCharsValid(value.replace(/[./-]/g, '').toUpperCase())) {
      add('cnpj', m.index, m.index + m[0].length, 0.95);
    }
  }

  const words = wordHits(folded);
  // Digit groups joined into chains by short runs of separators.
  const chains: Group[][] = [];
  let chain: Group[] = [];
  for (const m of text.matchAll(GROUP)) {
    const prev = chain.at(-1);
    const gap = prev ? text.slice(prev.end, m.index) : '';
    const g = { start: m.index, end: m.index + m[0].length, digits: m[0], bound: /^[.\-/]$/.test(gap) };
    if (prev && SEPARATOR.test(gap)) chain.push(g);
    else {
      if (chain.length) chains.push(chain);
      chain = [{ ...g, bound: false }];
    }
  }
  if (chain.length) chains.push(chain);

  for (const groups of chains) {
    let i = 0;
    while (i < groups.length) {
      // A run starts and ends where the writer left a space, never inside "413.471/0001".
      if (groups[i]!.bound) {
        i++;
        continue;
      }
      let matched = -1;
      let d = '';
      const ends: string[] = [];
      for (let j = i; j < groups.length; j++) {
        d += groups[j]!.digits;
        if (d.replace(/x$/i, '').length > MAX_DIGITS) break;
        ends.push(d);
      }
      for (let j = i + ends.length - 1; j >= i; j--) {
        const digits = ends[j - i]!;
        const start = groups[i]!.start;
        const end = groups[j]!.end;
        if (groups[j + 1]?.bound) continue;
        if (overlaps(found, start, end)) continue;
        if (digits.length < 6) continue;
        const result = classify(digits, text.slice(start, end), start, words);
        if (result) {
          // "(11) 9…" and "+55 …": the opening bracket or plus belongs to the number.
          const lead = start > 0 && (text[start - 1] === '(' || text[start - 1] === '+') ? 1 : 0;
          add(result.cls, start - lead, end, result.confidence);
          matched = j;
          break;
        }
      }
      i = matched >= 0 ? matched + 1 : i + 1;
    }
  }
  return found;
}
