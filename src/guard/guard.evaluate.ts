/**
 * Precision, recall and F1 of the guard per class over a labelled set. A finding is a true positive when it
 * overlaps a labelled span of the same class that no other finding has claimed; every unclaimed span is a false
 * negative. Identifiers are scored by span: any other identifier finding is a false positive. A sensitive category
 * is a property of the sentence (where a phrase about religion begins and ends is fuzzy, and a sentence with
 * "judeu" and "Shabat" reveals one thing): a further finding of a category the sentence is labelled with is
 * neither a hit nor an error; a finding of a category the sentence does not have is a false positive.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  GUARD_CLASSES,
  IDENTIFIER_CLASSES,
  type GuardClass,
  type GuardFinding,
  type SensitiveClass,
  SENSITIVE_CLASSES,
} from './guard-classes.ts';

const exampleSchema = z.object({
  id: z.string(),
  part: z.enum(['dev', 'holdout']),
  noisy: z.boolean(),
  section: z.string(),
  text: z.string(),
  spans: z.array(z.object({ label: z.enum(GUARD_CLASSES), start: z.number().int(), end: z.number().int() })),
});
export type GuardExample = z.infer<typeof exampleSchema>;

const SENSITIVE = new Set<GuardClass>(SENSITIVE_CLASSES);

/** Reads a JSON-lines evaluation set, refusing any line that does not match the schema. */
export function loadGuardSet(file: string): GuardExample[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const parsed = exampleSchema.safeParse(JSON.parse(l));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.message}`);
      return parsed.data;
    });
}

export interface ClassScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

function score(tp: number, fp: number, fn: number): ClassScore {
  // With nothing predicted and nothing to find the class is trivially perfect.
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

export interface Evaluation {
  sentences: number;
  perClass: Record<GuardClass, ClassScore>;
  identifiers: ClassScore;
  sensitive: ClassScore;
  /** Sentence ids with at least one error, for reading what went wrong (ids only: the texts stay in the file). */
  errors: { id: string; missed: GuardClass[]; spurious: GuardClass[] }[];
}

/** Scores `scan` on `examples`. */
export function evaluateGuard(
  examples: readonly GuardExample[],
  scan: (text: string) => GuardFinding[],
): Evaluation {
  const counts = new Map<GuardClass, { tp: number; fp: number; fn: number }>(
    GUARD_CLASSES.map((c) => [c, { tp: 0, fp: 0, fn: 0 }]),
  );
  const errors: Evaluation['errors'] = [];
  for (const ex of examples) {
    const found = scan(ex.text);
    const claimed = new Set<number>();
    const spurious: GuardClass[] = [];
    for (const f of found) {
      const k = counts.get(f.class)!;
      const i = ex.spans.findIndex(
        (s, j) => !claimed.has(j) && s.label === f.class && f.start < s.end && f.end > s.start,
      );
      if (i >= 0) {
        claimed.add(i);
        k.tp++;
      } else if (
        ex.spans.some(
          (s) => s.label === f.class && (SENSITIVE.has(f.class) || (f.start < s.end && f.end > s.start)),
        )
      ) {
        // A second finding inside a span already found, or a second phrase of a category the sentence has.
        continue;
      } else {
        k.fp++;
        spurious.push(f.class);
      }
    }
    const missed = ex.spans.filter((_, j) => !claimed.has(j)).map((s) => s.label);
    for (const c of missed) counts.get(c)!.fn++;
    if (missed.length || spurious.length) errors.push({ id: ex.id, missed, spurious });
  }
  const perClass = Object.fromEntries([...counts].map(([c, k]) => [c, score(k.tp, k.fp, k.fn)])) as Record<
    GuardClass,
    ClassScore
  >;
  const pool = (classes: readonly GuardClass[]): ClassScore => {
    const sum = (key: 'tp' | 'fp' | 'fn'): number => classes.reduce((s, c) => s + perClass[c][key], 0);
    return score(sum('tp'), sum('fp'), sum('fn'));
  };
  return {
    sentences: examples.length,
    perClass,
    identifiers: pool(IDENTIFIER_CLASSES),
    sensitive: pool(SENSITIVE_CLASSES),
    errors,
  };
}

/** The targets of issue 17, per class. */
export const GUARD_TARGETS = {
  identifier: { clean: { precision: 0.97, recall: 0.95 }, noisy: { recall: 0.85 } },
  sensitive: { precision: 0.85, recall: 0.8 },
} as const;

/** Target lines a score misses, e.g. "cpf clean recall 0.93 < 0.95" (empty when every target is met). */
export function missedTargets(clean: Evaluation, noisy: Evaluation): string[] {
  const out: string[] = [];
  const check = (label: string, value: number, target: number): void => {
    if (value < target) out.push(`${label} ${value.toFixed(3)} < ${target}`);
  };
  for (const c of IDENTIFIER_CLASSES) {
    check(`${c} clean precision`, clean.perClass[c].precision, GUARD_TARGETS.identifier.clean.precision);
    check(`${c} clean recall`, clean.perClass[c].recall, GUARD_TARGETS.identifier.clean.recall);
  }
  check('identifiers noisy recall', noisy.identifiers.recall, GUARD_TARGETS.identifier.noisy.recall);
  const all = mergeEvaluations(clean, noisy);
  for (const c of SENSITIVE_CLASSES as readonly SensitiveClass[]) {
    check(`${c} precision`, all.perClass[c].precision, GUARD_TARGETS.sensitive.precision);
    check(`${c} recall`, all.perClass[c].recall, GUARD_TARGETS.sensitive.recall);
  }
  return out;
}

/** The evaluation of the union of two disjoint sets. */
export function mergeEvaluations(a: Evaluation, b: Evaluation): Evaluation {
  const perClass = Object.fromEntries(
    GUARD_CLASSES.map((c) => {
      const x = a.perClass[c];
      const y = b.perClass[c];
      return [c, score(x.tp + y.tp, x.fp + y.fp, x.fn + y.fn)];
    }),
  ) as Record<GuardClass, ClassScore>;
  const pool = (classes: readonly GuardClass[]): ClassScore => {
    const sum = (key: 'tp' | 'fp' | 'fn'): number => classes.reduce((s, c) => s + perClass[c][key], 0);
    return score(sum('tp'), sum('fp'), sum('fn'));
  };
  return {
    sentences: a.sentences + b.sentences,
    perClass,
    identifiers: pool(IDENTIFIER_CLASSES),
    sensitive: pool(SENSITIVE_CLASSES),
    errors: [...a.errors, ...b.errors],
  };
}

/** A plain-text table of one evaluation. */
export function formatEvaluation(title: string, e: Evaluation): string {
  const rows: string[][] = [['class', 'P', 'R', 'F1', 'TP', 'FP', 'FN']];
  const row = (name: string, s: ClassScore): string[] => [
    name,
    s.precision.toFixed(3),
    s.recall.toFixed(3),
    s.f1.toFixed(3),
    String(s.tp),
    String(s.fp),
    String(s.fn),
  ];
  for (const c of GUARD_CLASSES) rows.push(row(c, e.perClass[c]));
  rows.push(row('identifiers (all)', e.identifiers), row('sensitive (all)', e.sensitive));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  return `${title} (${e.sentences} sentences)\n${lines.join('\n')}`;
}
