/**
 * What a deletion request (LGPD Art. 18 IV and VI) may erase, category by category, and what the law makes the
 * provider keep (Art. 16: call records for their legal period, contracts and invoices for tax law, tickets under
 * Decreto 11.034/2022), with the rule, its source and the date it ends — after which retention deletes it.
 * Identity data are kept while any other kept record needs them. A category under a legal hold is kept, and the
 * answer gives the same legal-obligation wording as for any other kept category, so a secret hold stays secret.
 */
import type { Policy, RetentionRule } from '../policy/policy.schema.ts';
import type { HoldingFacts, RetentionDates } from '../reports/subject-report.model.ts';

export interface CategoryOutcome {
  category: string;
  /** `expired`: past its retention, deleted by the next retention sweep (not by the answer itself). */
  outcome: 'deleted' | 'kept' | 'expired';
  /** The retention rule (policy text) that keeps it, and its legal source. */
  rule: string | null;
  source: string | null;
  /** When the kept part will be deleted by retention; null while it depends on an open contract or ticket. */
  until: string | null;
}

/** Decides, per category held, deleted or kept (pure: the caller deletes). */
export function decideDeletion(
  policy: Policy,
  holdings: ReadonlyMap<string, HoldingFacts>,
  dates: RetentionDates,
  now: string,
  context: { activeContract: boolean; held: ReadonlySet<string> },
): CategoryOutcome[] {
  const out: CategoryOutcome[] = [];
  const identity: string[] = [];
  for (const [category, h] of holdings) {
    if (h.items === 0) continue;
    const retention = policy.retention.find((r) => r.category === category);
    const rule = retention?.rule;
    const source = retention ? retention.source : null;
    const text = rule ? ruleText(rule) : null;
    if (rule?.kind === 'while_referenced') {
      identity.push(category);
      continue;
    }
    if (context.held.has(category)) {
      out.push({ category, outcome: 'kept', rule: text, source, until: null });
      continue;
    }
    // Invoices run from the end of the contract too: the contract rows carry that date, not the invoices.
    const facts =
      rule?.kind === 'after' && rule.anchor === 'contract_end' ? (holdings.get('contract') ?? h) : h;
    const until = rule ? keptUntil(rule, facts, dates, context.activeContract) : undefined;
    out.push(
      until === undefined || (until !== null && until <= now)
        ? { category, outcome: 'deleted', rule: null, source: null, until: null }
        : { category, outcome: 'kept', rule: text, source, until },
    );
  }
  const kept = out.filter((o) => o.outcome === 'kept' && !o.category.endsWith('_secret'));
  const latest = kept.some((k) => k.until === null)
    ? null
    : (kept
        .map((k) => k.until!)
        .sort()
        .at(-1) ?? null);
  for (const category of identity) {
    const retention = policy.retention.find((r) => r.category === category)!;
    out.push(
      kept.length > 0 || context.held.has(category)
        ? {
            category,
            outcome: 'kept',
            rule: ruleText(retention.rule),
            source: retention.source,
            until: latest,
          }
        : { category, outcome: 'deleted', rule: null, source: null, until: null },
    );
  }
  return out;
}

function ruleText(rule: RetentionRule): string {
  return rule.kind === 'after' ? `${rule.period} after ${rule.anchor}` : rule.kind;
}

/** undefined: nothing keeps it; null: kept while a contract or ticket is open; else the end instant. */
function keptUntil(
  rule: RetentionRule,
  h: HoldingFacts,
  dates: RetentionDates,
  activeContract: boolean,
): string | null | undefined {
  if (rule.kind === 'until_contract_end') return activeContract ? null : undefined;
  if (rule.kind !== 'after') return undefined;
  if (rule.anchor === 'record_created')
    return h.lastCollectedAt ? dates.expiresAt(rule, h.lastCollectedAt) : undefined;
  if (rule.anchor === 'contract_end') {
    if (h.facts.activeContracts > 0 || !h.facts.lastEndedOn) return null;
    return dates.expiresAt(rule, dates.contractEnd(h.facts.lastEndedOn));
  }
  if (h.facts.openTickets > 0 || !h.facts.lastResolvedAt) return null;
  return dates.expiresAt(rule, h.facts.lastResolvedAt);
}
