/**
 * The dry run: per target and rule, what a sweep now would delete, what legal holds and guards keep, and when the
 * next item expires. It scans exactly as the sweep does and decides what is kept with the same function
 * (`partitionHeld`), but changes nothing.
 */
import type { Policy } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import type { ActiveHold } from './legal-holds.ts';
import type { RetentionEngineDeps } from './retention-engine.ts';
import {
  categoryLabelPt,
  holdCategoriesOf,
  ruleEntryFor,
  targetRuleView,
  type TargetRuleView,
} from './retention-policy.ts';
import { partitionHeld } from './retention-sweep.ts';
import type { RetentionTarget } from './retention-target.ts';

export interface PreviewTarget extends TargetRuleView {
  categoryLabel: string;
  /** What a sweep now would delete. */
  due: {
    items: number;
    records: number;
    from: string | null;
    to: string | null;
    oldestExpiry: string | null;
  };
  /** Expired but kept by a legal hold (or waiting for a record that refers to it). */
  held: number;
  /** When the next item not yet expired expires (null: none, or no date of its own). */
  nextExpiry: string | null;
  /** The scan stopped at the per-target cap; counts are lower bounds. */
  capped: boolean;
  skipped?: 'no_rule' | 'unsupported_rule';
}

export interface PreviewReport {
  generatedAt: string;
  policyVersion: number;
  activeHolds: number;
  targets: PreviewTarget[];
  /** Always true in a preview; the identity line counts only subjects already queued. */
  note: string;
}

export type RetentionPreviewDeps = Pick<
  RetentionEngineDeps,
  'store' | 'registry' | 'holds' | 'clock' | 'policy'
>;

/** Rows read per scan page of a preview. */
const PAGE = 1000;

/** What the preview says of itself (read by staff: pt-BR, like the rest of its text). */
export const PREVIEW_NOTE =
  'Simulação: nada foi eliminado. Nos dados cadastrais contam apenas os titulares já na fila; os registros ' +
  'acima, quando eliminados, podem deixar mais titulares sem referência na mesma varredura.';

/** Previews sweeps. */
export class RetentionPreview {
  constructor(private readonly deps: RetentionPreviewDeps) {}

  /** Dry run: per target and rule, what a sweep now would delete, what holds keep, and the next expiry. */
  async preview(options: { capPerTarget?: number } = {}): Promise<PreviewReport> {
    const policy = this.deps.policy();
    const allHolds = await this.deps.holds.active(this.deps.store.db);
    const targets: PreviewTarget[] = [];
    for (const target of this.deps.registry.targets()) {
      targets.push(await this.previewTarget(target, policy, allHolds, options.capPerTarget ?? 100_000));
    }
    return {
      generatedAt: this.deps.clock.nowIso(),
      policyVersion: policy.version,
      activeHolds: allHolds.length,
      targets,
      note: PREVIEW_NOTE,
    };
  }

  private async previewTarget(
    target: RetentionTarget,
    policy: Policy,
    allHolds: readonly ActiveHold[],
    cap: number,
  ): Promise<PreviewTarget> {
    const { clock, registry } = this.deps;
    // No transaction: a long preview must not hold SQLite's single connection (every request would wait), and
    // its counts are a moment's view anyway. Read paths only query, which the store answers like a transaction.
    const db = this.deps.store.db as unknown as Tx;
    const entry = ruleEntryFor(policy, target);
    const base = {
      ...targetRuleView(target, entry),
      categoryLabel: categoryLabelPt(policy, target.category),
    };
    const due: PreviewTarget['due'] = { items: 0, records: 0, from: null, to: null, oldestExpiry: null };
    if (!entry || !target.supports(entry.rule)) {
      return {
        ...base,
        due,
        held: 0,
        nextExpiry: null,
        capped: false,
        skipped: entry ? 'unsupported_rule' : 'no_rule',
      };
    }
    const categories = holdCategoriesOf(target);
    const holds = allHolds.filter((h) => categories.some((c) => h.categories.has(c)));
    let held = 0;
    let cursor: string | null = null;
    let seen = 0;
    let capped = false;
    for (;;) {
      const { items, next } = await target.scan({
        db,
        rule: entry.rule,
        clock,
        after: cursor,
        limit: PAGE,
        dryRun: true,
      });
      const kept = await partitionHeld(registry, target, db, items, holds, categories);
      held += kept.held.length;
      for (const i of kept.go) {
        due.items += 1;
        due.records += i.records ?? 1;
        if (due.from === null || i.from < due.from) due.from = i.from;
        if (due.to === null || i.to > due.to) due.to = i.to;
        // Items come in anchor order, so the oldest expiry is among the first; reading it costs a calendar
        // computation, which a million-row preview cannot afford per row.
        if (due.items <= 1000 && (due.oldestExpiry === null || i.expiresAt < due.oldestExpiry)) {
          due.oldestExpiry = i.expiresAt;
        }
      }
      seen += items.length;
      if (next === null) break;
      if (seen >= cap) {
        capped = true;
        break;
      }
      cursor = next;
    }
    const nextExpiry = await target.nextExpiry({ db, rule: entry.rule, clock });
    return { ...base, due, held, nextExpiry, capped };
  }
}
