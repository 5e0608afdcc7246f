/**
 * What the retention engine takes from the policy: the access context its work runs under, and, per target, the
 * retention rule of its category described as sweeps, previews and certificates show it.
 */
import type { AccessContext } from '../gate/access-context.ts';
import { retentionRuleFor } from '../policy/policy.evaluate.ts';
import { retentionPeriodPt } from '../policy/policy.render.ts';
import type { Policy, Retention, RetentionRule } from '../policy/policy.schema.ts';
import type { RetentionTarget } from './retention-target.ts';

/** Who sweeps: the system role under the legal-obligation purpose, as the policy grants. */
export const SWEEP_ACTOR = 'retention-sweep';

/** The access context of retention work: the system role under the legal-obligation purpose. */
export function retentionSystemContext(requestId: string): AccessContext {
  return { actor: SWEEP_ACTOR, role: 'system', purpose: 'legal_obligation', requestId, justification: null };
}

/** The retention entry of the target's category, if the policy has one. */
export function ruleEntryFor(policy: Policy, target: RetentionTarget): Retention | undefined {
  return retentionRuleFor(policy, target.category);
}

/** The Portuguese label of a category (its id when the policy does not declare it). */
export function categoryLabelPt(policy: Policy, category: string): string {
  return policy.categories.find((c) => c.id === category)?.label.pt ?? category;
}

/** A target's rule as reports show it. */
export interface TargetRuleView {
  target: string;
  category: string;
  description: string;
  rule: RetentionRule | null;
  ruleText: string | null;
  source: string | null;
  verified: boolean | null;
}

/** The report fields that say which target and which rule (nulls when the policy sets none). */
export function targetRuleView(target: RetentionTarget, entry: Retention | undefined): TargetRuleView {
  return {
    target: target.id,
    category: target.category,
    description: target.description,
    rule: entry?.rule ?? null,
    ruleText: entry ? retentionPeriodPt(entry.rule) : null,
    source: entry?.source ?? null,
    verified: entry?.verified ?? null,
  };
}

/** The categories whose legal holds keep a target's items: its own and any it names. */
export function holdCategoriesOf(target: RetentionTarget): string[] {
  return [target.category, ...(target.holdCategories ?? [])];
}
