/**
 * Lower-cases and strips accents one UTF-16 unit at a time, so every offset in the folded text is the same offset
 * in the original: patterns are written once without accents ("saude") and still match "Saúde" and "SAUDE", and
 * the spans they give point into the text the person wrote.
 */

const FOLD = new Map<number, string>();
for (let code = 0xc0; code <= 0x24f; code++) {
  const c = String.fromCharCode(code);
  const base = c.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  if (base.length === 1 && base !== c) FOLD.set(code, base);
}

/** The text lower-cased and without accents, of exactly the same length. */
export function foldText(text: string): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let replacement: string | undefined;
    if (code >= 65 && code <= 90) replacement = String.fromCharCode(code + 32);
    else if (code >= 0xc0) replacement = FOLD.get(code);
    if (replacement !== undefined) {
      out += text.slice(plainFrom, i) + replacement;
      plainFrom = i + 1;
    }
  }
  return out + text.slice(plainFrom);
}
