/**
 * Lower-cases and strips accents one UTF-16 unit at a time, so every offset in the folded text is the same offset
 * in the original: patterns are written once without accents ("saude") and still match "Saúde" and "SAUDE", and
 * the spans they give point into the text the person wrote.
 */

// Folded code of every UTF-16 unit up to U+024F (Latin-1 and Latin Extended-A/B); others stay as they are.
const FOLD = new Uint16Array(0x250);
for (let code = 0; code < FOLD.length; code++) {
  const c = String.fromCharCode(code);
  const base = c.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  FOLD[code] = base.length === 1 ? base.charCodeAt(0) : code;
}
const decoder = new TextDecoder('utf-16le');

/** The text lower-cased and without accents, of exactly the same length. */
export function foldText(text: string): string {
  const out = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out[i] = code < 0x250 ? FOLD[code]! : code;
  }
  return decoder.decode(out);
}
