/** Differences between two policy versions, and whether the newer one loosens access or retention. */
import { DateTime } from 'luxon';
import { isDeepStrictEqual } from 'node:util';
import { GUARD_CLASSES } from '../guard/guard-classes.ts';
import { MASKING_RANK, detectorAction, effectiveGrants } from './policy.evaluate.ts';
import { DETECTOR_ACTIONS, parsePeriod } from './policy.schema.ts';
import type { DetectorAction, Masking, Policy, RetentionRule, RoleIssuance } from './policy.schema.ts';

export interface PolicyChange {
  path: string;
  before: unknown;
  after: unknown;
}

/**
 * Grants are a set, so they are compared as the effective matrix role → purpose → category → operation → masking:
 * regrouping grants is no change, and each real change gets its own path (`grants.billing.billing.phone.read`).
 * Retention entries are keyed by category for the same reason.
 */
function comparable(policy: Policy): Record<string, unknown> {
  const grants: Record<string, Record<string, Record<string, Record<string, Masking>>>> = {};
  for (const g of effectiveGrants(policy)) {
    const byPurpose = (grants[g.role] ??= {});
    const byCategory = (byPurpose[g.purpose] ??= {});
    (byCategory[g.category] ??= {})[g.operation] = g.masking;
  }
  const retention = Object.fromEntries(policy.retention.map(({ category, ...rest }) => [category, rest]));
  // Duty grants likewise as role → duty → true (`dutyGrants.legal["legal_hold.write"]`).
  const dutyGrants: Record<string, Record<string, true>> = {};
  for (const g of policy.dutyGrants) for (const duty of g.duties) (dutyGrants[g.role] ??= {})[duty] = true;
  return { ...policy, grants, retention, dutyGrants };
}

/** Every (role, duty) pair the policy grants, as `role/duty`. */
export function dutyPairs(policy: Policy): Set<string> {
  return new Set(policy.dutyGrants.flatMap((g) => g.duties.map((duty) => `${g.role}/${duty}`)));
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const idOf = (v: unknown): string | undefined =>
  isRecord(v) && typeof v['id'] === 'string' ? v['id'] : undefined;
const child = (path: string, key: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
    ? path === ''
      ? key
      : `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;

function diffValue(path: string, before: unknown, after: unknown, out: PolicyChange[]): void {
  if (isDeepStrictEqual(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      diffValue(child(path, key), before[key], after[key], out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const a = new Map(before.map((item) => [idOf(item), item]));
    const b = new Map(after.map((item) => [idOf(item), item]));
    if (!a.has(undefined) && !b.has(undefined)) {
      for (const id of new Set([...a.keys(), ...b.keys()]) as Set<string>) {
        diffValue(`${path}[${id}]`, a.get(id), b.get(id), out);
      }
      return;
    }
  }
  out.push({ path, before, after });
}

/** Structural differences from `a` to `b`; arrays of objects with ids are matched by id (`categories[email]`). */
export function diffPolicies(a: Policy, b: Policy): PolicyChange[] {
  const out: PolicyChange[] = [];
  diffValue('', comparable(a), comparable(b), out);
  return out;
}

const REFERENCE = DateTime.utc(2000, 1, 1);
/** Compares periods on a calendar so that P12M equals P1Y. */
const periodEnd = (period: string): number => REFERENCE.plus(parsePeriod(period) ?? {}).toMillis();

/** True when rule `b` may keep data longer than rule `a`. */
function retainsLonger(a: RetentionRule | undefined, b: RetentionRule | undefined): boolean {
  if (!b || isDeepStrictEqual(a, b)) return false;
  if (!a) return true;
  if (a.kind === 'after' && b.kind === 'after' && a.anchor === b.anchor) {
    return periodEnd(b.period) > periodEnd(a.period);
  }
  // Destroying at contract end is never later than keeping for a period after it.
  if (b.kind === 'until_contract_end' && a.kind === 'after' && a.anchor === 'contract_end') return false;
  // Different anchors or kinds cannot be ordered in general; call it loosening so that a person reviews it.
  return true;
}

/** How hard a role's tokens are to obtain: admin alone is the easiest, the server's CLI only the hardest. */
const ISSUANCE_RANK: Record<RoleIssuance, number> = {
  admin: 0,
  dpo_approval: 1,
  identity_provider: 2,
  server: 3,
};

/** Data each action lets through: reject keeps nothing, redact keeps the rest of the text, quarantine keeps all. */
const DETECTOR_RANK = Object.fromEntries(DETECTOR_ACTIONS.map((a, i) => [a, i])) as Record<
  DetectorAction,
  number
>;

/**
 * True when `b` gives more than `a`: a new grant or operation, a duty newly given to a role, lower masking, longer retention (or a newly
 * retained category), a purpose newly applied to data collected before it, an operator receiving more, a category no longer personal, a role easier to obtain, or a weaker or removed
 * sensitive-data detector.
 */
export function isLoosening(a: Policy, b: Policy): boolean {
  const before = new Map(
    effectiveGrants(a).map((g) => [`${g.role}/${g.purpose}/${g.category}/${g.operation}`, g]),
  );
  for (const g of effectiveGrants(b)) {
    const old = before.get(`${g.role}/${g.purpose}/${g.category}/${g.operation}`);
    if (!old || MASKING_RANK[g.masking] < MASKING_RANK[old.masking]) return true;
  }

  // A duty a role did not hold before (legal holds, certificates, tokens…) widens that role like a grant.
  const heldBefore = dutyPairs(a);
  for (const pair of dutyPairs(b)) if (!heldBefore.has(pair)) return true;

  const oldRules = new Map(a.retention.map((r) => [r.category, r.rule]));
  if (b.retention.some((r) => retainsLonger(oldRules.get(r.category), r.rule))) return true;

  // A purpose made to apply to data collected before it was declared (LGPD Art. 9 §2).
  const appliedBefore = new Set(a.purposes.filter((p) => p.appliesToExisting).map((p) => p.id));
  if (b.purposes.some((p) => p.appliesToExisting && !appliedBefore.has(p.id))) return true;
  // A purpose that newly reaches data the subjects had blocked (LGPD Art. 18 IV).
  const blockedBefore = new Set(a.purposes.filter((p) => p.continuesWhenBlocked).map((p) => p.id));
  if (b.purposes.some((p) => p.continuesWhenBlocked && !blockedBefore.has(p.id))) return true;

  // An operator that newly receives a category or a purpose: the data go to one more party.
  const oldOperators = new Map(a.operators.map((o) => [o.id, o]));
  for (const op of b.operators) {
    const old = oldOperators.get(op.id);
    if (!old || op.country !== old.country) return true;
    if (op.categories.some((c) => !old.categories.includes(c))) return true;
    if (op.purposes.some((p) => !old.purposes.includes(p))) return true;
  }

  const wasPersonal = new Set(a.categories.filter((c) => c.personal).map((c) => c.id));
  if (b.categories.some((c) => !c.personal && wasPersonal.has(c.id))) return true;

  // A role whose tokens become easier to obtain (server → identity provider → DPO approval → admin alone).
  const oldIssuance = new Map(a.roles.map((r) => [r.id, ISSUANCE_RANK[r.issuance]]));
  if (b.roles.some((r) => ISSUANCE_RANK[r.issuance] < (oldIssuance.get(r.id) ?? Infinity))) return true;

  // Per field and class: a class override that lets more through than before loosens as much as a field does.
  return Object.keys(a.detectors.fields).some((field) =>
    GUARD_CLASSES.some((cls) => {
      const was = detectorAction(a, field, cls);
      const now = detectorAction(b, field, cls);
      return was !== undefined && (now === undefined || DETECTOR_RANK[now] > DETECTOR_RANK[was]);
    }),
  );
}
