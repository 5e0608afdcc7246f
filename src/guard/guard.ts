/**
 * The sensitive-data guard: finds Brazilian identifiers and LGPD Art. 11 categories in Portuguese free text
 * (`scanText`) and removes them (`redactText`). Pure functions over a string: no I/O, no logging, nothing kept.
 */
import { foldText } from './fold-text.ts';
import { CLASS_LABELS_PT, type GuardClass, type GuardFinding } from './guard-classes.ts';
import { detectIdentifiers } from './identifier.detector.ts';
import { detectSensitive } from './sensitive.detector.ts';

export * from './guard-classes.ts';

/** Longest text the guard reads; longer fields are refused by their schemas before reaching it. */
export const GUARD_MAX_LENGTH = 100_000;

/** Every finding in `text`, in order of position. */
export function scanText(text: string): GuardFinding[] {
  const input = text.length > GUARD_MAX_LENGTH ? text.slice(0, GUARD_MAX_LENGTH) : text;
  const folded = foldText(input);
  return [...detectIdentifiers(input, folded), ...detectSensitive(folded)].sort(
    (a, b) => a.start - b.start || b.end - a.end,
  );
}

/** The distinct classes among `findings`, in a stable order (for error details and logs: never the text). */
export function classesOf(findings: readonly GuardFinding[]): GuardClass[] {
  return [...new Set(findings.map((f) => f.class))].sort();
}

/** `text` with every finding replaced by a mark naming its class ("[removido: CPF]"); overlapping spans merge. */
export function redactText(text: string, findings: readonly GuardFinding[]): string {
  const sorted = [...findings].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (let i = 0; i < sorted.length; i++) {
    const first = sorted[i]!;
    let end = first.end;
    // A sensitive phrase may overlap an identifier; one mark covers both.
    while (i + 1 < sorted.length && sorted[i + 1]!.start < end) end = Math.max(end, sorted[++i]!.end);
    if (first.start < at) continue;
    out += text.slice(at, first.start) + `[removido: ${CLASS_LABELS_PT[first.class]}]`;
    at = end;
  }
  return out + text.slice(at);
}
