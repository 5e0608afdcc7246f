/**
 * `npm run guard:eval [-- --part=dev|holdout] [--challenge|--broad] [--errors] [file.jsonl]`: precision, recall and F1 per class of the
 * guard on the labelled set (default test/fixtures/guard/guard-set.jsonl; `--challenge`: the set written after the
 * detector; `--broad`: the wider set of sensitive phrasings), clean and noisy parts apart, and the
 * targets it misses. Exits 1 when a target is missed.
 */
import path from 'node:path';
import { scanText } from '../../src/guard/guard.ts';
import {
  evaluateGuard,
  formatEvaluation,
  loadGuardSet,
  mergeEvaluations,
  missedTargets,
} from '../../src/guard/guard.evaluate.ts';

const args = process.argv.slice(2);
const part = args.find((a) => a.startsWith('--part='))?.slice(7);
const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'guard');
const file =
  args.find((a) => !a.startsWith('--')) ??
  path.join(
    fixtures,
    args.includes('--challenge')
      ? 'guard-challenge.jsonl'
      : args.includes('--broad')
        ? 'guard-broad.jsonl'
        : 'guard-set.jsonl',
  );

const examples = loadGuardSet(file).filter((e) => !part || e.part === part);
const clean = evaluateGuard(
  examples.filter((e) => !e.noisy),
  scanText,
);
const noisy = evaluateGuard(
  examples.filter((e) => e.noisy),
  scanText,
);
console.log(formatEvaluation(`clean${part ? ` · ${part}` : ''}`, clean));
console.log();
console.log(formatEvaluation(`noisy${part ? ` · ${part}` : ''}`, noisy));
console.log();
console.log(formatEvaluation(`all${part ? ` · ${part}` : ''}`, mergeEvaluations(clean, noisy)));
if (args.includes('--errors')) {
  console.log('\nerrors (sentence id: missed / spurious)');
  for (const e of [...clean.errors, ...noisy.errors]) {
    console.log(`${e.id}: missed [${e.missed.join(', ')}] spurious [${e.spurious.join(', ')}]`);
  }
}
const missed = missedTargets(clean, noisy);
console.log(missed.length ? `\ntargets missed:\n  ${missed.join('\n  ')}` : '\nall targets met');
if (missed.length) process.exitCode = 1;
