import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BROAD_SEED,
  BROAD_SET,
  BROAD_TEMPLATES,
  buildGuardSet,
  GUARD_SET,
  GUARD_TEMPLATES,
  toJsonLines,
} from '../fixtures/guard/build-guard-set.ts';
import { scanText } from '../../src/guard/guard.ts';
import { IDENTIFIER_CLASSES, SENSITIVE_CLASSES } from '../../src/guard/guard-classes.ts';
import { evaluateGuard, loadGuardSet, missedTargets } from '../../src/guard/guard.evaluate.ts';

const examples = loadGuardSet(GUARD_SET);
const clean = examples.filter((e) => !e.noisy);
const noisy = examples.filter((e) => e.noisy);

describe('the guard evaluation set', () => {
  it('is the one the templates give with the fixed seed (no hand edits, no drift)', () => {
    expect(readFileSync(GUARD_SET, 'utf8')).toBe(
      toJsonLines(buildGuardSet(readFileSync(GUARD_TEMPLATES, 'utf8'))),
    );
  });

  it('has at least 400 sentences, positives of every class, hard negatives, a noisy and a held-out part', () => {
    expect(examples.length).toBeGreaterThanOrEqual(400);
    for (const c of [...IDENTIFIER_CLASSES, ...SENSITIVE_CLASSES]) {
      expect(clean.filter((e) => e.spans.some((s) => s.label === c)).length, c).toBeGreaterThanOrEqual(8);
      expect(noisy.filter((e) => e.spans.some((s) => s.label === c)).length, c).toBeGreaterThanOrEqual(2);
    }
    expect(examples.filter((e) => e.spans.length === 0).length).toBeGreaterThanOrEqual(80);
    expect(examples.filter((e) => e.part === 'holdout').length).toBeGreaterThanOrEqual(140);
  });
});

describe('the guard on the evaluation set', () => {
  it('meets every target: identifiers P ≥ 0.97 and R ≥ 0.95 clean, R ≥ 0.85 noisy; categories P ≥ 0.85, R ≥ 0.80', () => {
    expect(missedTargets(evaluateGuard(clean, scanText), evaluateGuard(noisy, scanText))).toEqual([]);
  });

  it('meets them on the held-out part alone', () => {
    const held = (e: (typeof examples)[number]): boolean => e.part === 'holdout';
    expect(
      missedTargets(evaluateGuard(clean.filter(held), scanText), evaluateGuard(noisy.filter(held), scanText)),
    ).toEqual([]);
  });

  it('would fail a detector that finds nothing, or flags everything', () => {
    expect(
      missedTargets(
        evaluateGuard(clean, () => []),
        evaluateGuard(noisy, () => []),
      ),
    ).not.toEqual([]);
    const everything = (text: string) =>
      [...IDENTIFIER_CLASSES, ...SENSITIVE_CLASSES].map((c) => ({
        class: c,
        start: 0,
        end: text.length,
        confidence: 1,
      }));
    const missed = missedTargets(evaluateGuard(clean, everything), evaluateGuard(noisy, everything));
    expect(missed.some((m) => m.includes('precision'))).toBe(true);
  });
});

describe('the broad set of sensitive phrasings', () => {
  const broad = loadGuardSet(BROAD_SET);

  it('is the one its templates give with its seed', () => {
    expect(readFileSync(BROAD_SET, 'utf8')).toBe(
      toJsonLines(buildGuardSet(readFileSync(BROAD_TEMPLATES, 'utf8'), BROAD_SEED)),
    );
  });

  it('labels every sentence of a category section and none of the hard negatives', () => {
    for (const e of broad) {
      if ((SENSITIVE_CLASSES as readonly string[]).includes(e.section)) expect(e.spans, e.id).toHaveLength(1);
      else expect(e.spans, e.id).toEqual([]);
    }
    expect(broad.filter((e) => e.spans.length === 0).length).toBeGreaterThanOrEqual(40);
  });

  it('meets the category targets on its dev part (the part the second round was tuned on)', () => {
    const dev = broad.filter((e) => e.part === 'dev');
    expect(
      missedTargets(
        evaluateGuard(
          dev.filter((e) => !e.noisy),
          scanText,
        ),
        evaluateGuard(
          dev.filter((e) => e.noisy),
          scanText,
        ),
      ),
    ).toEqual([]);
  });
});
