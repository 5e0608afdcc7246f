/**
 * Person-facing Portuguese (Brazil) text: numbers and plural agreement, so that reports, certificates and staff
 * output say "1 item", "2 itens", "Foi eliminado 1 registro", "Foram eliminados 2 registros".
 */

const RULES = new Intl.PluralRules('pt-BR');
const NUMBERS = new Intl.NumberFormat('pt-BR');

/** The forms of a phrase; `#` stands for the number. */
export interface PluralForms {
  one: string;
  other: string;
  /** Said instead when the number is 0 ("Nenhum registro foi eliminado"). */
  zero?: string;
}

/** A number as pt-BR writes it (`1.234.567`). */
export function numberPt(n: number): string {
  return NUMBERS.format(n);
}

/**
 * The form of `forms` that agrees with `n`, with `#` replaced by the number. The plural category comes from
 * Intl.PluralRules('pt-BR'); CLDR files 0 under "one" for pt, but Brazilian usage writes zero with the plural
 * ("0 registros", "zero graus"), so 0 takes `other` unless a `zero` phrase is given.
 */
export function pluralPt(n: number, forms: PluralForms): string {
  const form = n === 0 ? (forms.zero ?? forms.other) : RULES.select(n) === 'one' ? forms.one : forms.other;
  return form.replaceAll('#', numberPt(n));
}

/** A count with its noun: `countPt(1, 'item', 'itens')` is "1 item", `countPt(2, 'item', 'itens')` "2 itens". */
export function countPt(n: number, one: string, other: string): string {
  return pluralPt(n, { one: `# ${one}`, other: `# ${other}` });
}
