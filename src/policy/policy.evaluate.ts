/**
 * Pure policy decisions. `evaluate` is the one function every access decision comes from: an operation on a
 * personal-data category for a purpose (the gate, on every access) or a duty (routes and services: legal holds,
 * certificates, tokens…). Each policy object gets a one-time index (cached in a WeakMap), so a decision is a few
 * Map/Set lookups.
 */
import { SigiloError } from '../errors.ts';
import type { GuardClass } from '../guard/guard-classes.ts';
import type {
  DetectorAction,
  Duty,
  Masking,
  Operation,
  Policy,
  Retention,
  RoleIssuance,
} from './policy.schema.ts';

export type { Duty, Operation } from './policy.schema.ts';

/** May `role` do `operation` on `category` for `purpose`? */
export interface AccessQuestion {
  role: string;
  purpose: string;
  category: string;
  operation: Operation;
}

/** Does `role` hold `duty`? */
export interface DutyQuestion {
  role: string;
  duty: Duty;
}

export type DutyDecision = { allowed: true } | { allowed: false; code: 'ROLE_NOT_ALLOWED'; reason: string };

export type DenyCode =
  'PURPOSE_UNKNOWN' | 'PURPOSE_NOT_ALLOWED' | 'CATEGORY_NOT_DECLARED' | 'ROLE_NOT_ALLOWED';

export type Decision =
  | { allowed: true; masking: Masking; legalBasis: string }
  | { allowed: false; code: DenyCode; reason: string };

/** Lower rank = less masking; when several grants match, the least masking wins. */
export const MASKING_RANK: Readonly<Record<Masking, number>> = { none: 0, partial: 1, hidden: 2 };

interface PolicyIndex {
  roles: ReadonlySet<string>;
  purposes: ReadonlySet<string>;
  categories: ReadonlyMap<string, { personal: boolean }>;
  retention: ReadonlyMap<string, Retention>;
  /** `role\0purpose\0category\0operation` → allowed decision. */
  decisions: ReadonlyMap<string, Decision & { allowed: true }>;
  /** `role\0purpose\0operation` → categories, in policy order. */
  categoriesByAccess: ReadonlyMap<string, readonly string[]>;
  /** `role\0duty` for every duty a role holds. */
  duties: ReadonlySet<string>;
  /** duty → the roles holding it, in policy order. */
  dutyHolders: ReadonlyMap<string, readonly string[]>;
  /** `role\0purpose` for every purpose some grant of the role names. */
  purposesByRole: ReadonlySet<string>;
}

const SEP = '\u0000';
const accessKey = (role: string, purpose: string, category: string, operation: string): string =>
  `${role}${SEP}${purpose}${SEP}${category}${SEP}${operation}`;
const listKey = (role: string, purpose: string, operation: string): string =>
  `${role}${SEP}${purpose}${SEP}${operation}`;
const indexes = new WeakMap<Policy, PolicyIndex>();

function buildIndex(policy: Policy): PolicyIndex {
  const legalBasis = new Map(policy.purposes.map((p) => [p.id, p.legalBasis]));
  const decisions = new Map<string, Decision & { allowed: true }>();
  for (const grant of policy.grants) {
    const basis = legalBasis.get(grant.purpose) ?? '';
    for (const category of grant.categories) {
      for (const operation of grant.operations) {
        const key = accessKey(grant.role, grant.purpose, category, operation);
        const existing = decisions.get(key);
        if (!existing || MASKING_RANK[grant.masking] < MASKING_RANK[existing.masking]) {
          decisions.set(key, Object.freeze({ allowed: true, masking: grant.masking, legalBasis: basis }));
        }
      }
    }
  }

  const order = new Map(policy.categories.map((c, i) => [c.id, i]));
  const categoriesByAccess = new Map<string, string[]>();
  for (const key of decisions.keys()) {
    const [role, purpose, category, operation] = key.split(SEP) as [string, string, string, string];
    const list = categoriesByAccess.get(listKey(role, purpose, operation)) ?? [];
    list.push(category);
    categoriesByAccess.set(listKey(role, purpose, operation), list);
  }
  for (const list of categoriesByAccess.values())
    list.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));

  const duties = new Set<string>();
  for (const grant of policy.dutyGrants) for (const duty of grant.duties) duties.add(grant.role + SEP + duty);
  const dutyHolders = new Map<string, string[]>();
  for (const duty of policy.duties) {
    dutyHolders.set(
      duty.id,
      policy.roles.map((r) => r.id).filter((role) => duties.has(role + SEP + duty.id)),
    );
  }

  return {
    duties,
    dutyHolders,
    purposesByRole: new Set(policy.grants.map((g) => g.role + SEP + g.purpose)),
    roles: new Set(policy.roles.map((r) => r.id)),
    purposes: new Set(policy.purposes.map((p) => p.id)),
    categories: new Map(policy.categories.map((c) => [c.id, { personal: c.personal }])),
    retention: new Map(policy.retention.map((r) => [r.category, r])),
    decisions,
    categoriesByAccess,
  };
}

function indexOf(policy: Policy): PolicyIndex {
  let index = indexes.get(policy);
  if (!index) {
    index = buildIndex(policy);
    indexes.set(policy, index);
  }
  return index;
}

/**
 * What may be recorded or shown of a stated purpose: the id itself when the policy declares it, otherwise only a
 * marker with its length (`undeclared:37`). A caller once sent a name and a CPF as the purpose; an undeclared
 * value is never stored, logged or echoed (issue 13 §6). The colon keeps the marker out of the purpose id syntax.
 */
export function recordablePurpose(policy: Policy, purpose: string): string {
  return indexOf(policy).purposes.has(purpose) ? purpose : `undeclared:${purpose.length}`;
}

/**
 * The one decision function. For an access: whether the role may perform the operation on the category for the
 * purpose, and with what masking. For a duty: whether a duty grant of the policy gives it to the role.
 */
export function evaluate(policy: Policy, q: AccessQuestion): Decision;
export function evaluate(policy: Policy, q: DutyQuestion): DutyDecision;
export function evaluate(policy: Policy, q: AccessQuestion | DutyQuestion): Decision | DutyDecision {
  return 'duty' in q ? evaluateDuty(policy, q) : evaluateAccess(policy, q);
}

const DUTY_ALLOWED: DutyDecision = Object.freeze({ allowed: true });

function evaluateDuty(policy: Policy, q: DutyQuestion): DutyDecision {
  if (indexOf(policy).duties.has(q.role + SEP + q.duty)) return DUTY_ALLOWED;
  return {
    allowed: false,
    code: 'ROLE_NOT_ALLOWED',
    reason: `role '${q.role}' does not hold duty '${q.duty}'`,
  };
}

/**
 * Throws ROLE_NOT_ALLOWED (`role '<role>' may not <what>`, details `{ role }`) unless the policy gives `duty` to
 * `role`: the form services use.
 */
export function requireDuty(policy: Policy, role: string, duty: Duty, what: string): void {
  if (!evaluate(policy, { role, duty }).allowed) {
    throw new SigiloError('ROLE_NOT_ALLOWED', `role '${role}' may not ${what}`, { role });
  }
}

/** The roles that hold `duty`, in the policy's order of roles (none when no role does or it is not declared). */
export function rolesWithDuty(policy: Policy, duty: Duty): string[] {
  return [...(indexOf(policy).dutyHolders.get(duty) ?? [])];
}

/** The duties `role` holds, in the policy's order of duties. */
export function dutiesOf(policy: Policy, role: string): Duty[] {
  const { duties } = indexOf(policy);
  return policy.duties.map((d) => d.id).filter((duty) => duties.has(role + SEP + duty));
}

/** Whether some grant of `role` names `purpose` (on whatever category and operation). */
export function hasPurposeGrant(policy: Policy, role: string, purpose: string): boolean {
  return indexOf(policy).purposesByRole.has(role + SEP + purpose);
}

function evaluateAccess(policy: Policy, q: AccessQuestion): Decision {
  const index = indexOf(policy);
  if (!index.purposes.has(q.purpose)) {
    return {
      allowed: false,
      code: 'PURPOSE_UNKNOWN',
      reason: `the purpose stated (${q.purpose.length} characters) is not declared in the policy`,
    };
  }
  if (!index.categories.has(q.category)) {
    return {
      allowed: false,
      code: 'CATEGORY_NOT_DECLARED',
      reason: `category '${q.category}' is not declared in the policy`,
    };
  }
  if (!index.roles.has(q.role)) {
    return {
      allowed: false,
      code: 'ROLE_NOT_ALLOWED',
      reason: `role '${q.role}' is not declared in the policy`,
    };
  }
  const decision = index.decisions.get(accessKey(q.role, q.purpose, q.category, q.operation));
  return (
    decision ?? {
      allowed: false,
      code: 'PURPOSE_NOT_ALLOWED',
      reason: `role '${q.role}' may not ${q.operation} '${q.category}' for purpose '${q.purpose}'`,
    }
  );
}

/** The categories a role may access with an operation for a purpose, in policy order. */
export function categoriesFor(policy: Policy, role: string, purpose: string, operation: Operation): string[] {
  return [...(indexOf(policy).categoriesByAccess.get(listKey(role, purpose, operation)) ?? [])];
}

/** The retention entry (rule, source, verified) of a category, if it has one. */
export function retentionRuleFor(policy: Policy, category: string): Retention | undefined {
  return indexOf(policy).retention.get(category);
}

/** True when the category is declared and holds personal data. */
export function isPersonalCategory(policy: Policy, id: string): boolean {
  return indexOf(policy).categories.get(id)?.personal ?? false;
}

export interface EffectiveGrant {
  role: string;
  purpose: string;
  category: string;
  operation: Operation;
  masking: Masking;
}

/** Every allowed (role, purpose, category, operation) with its effective masking, however the grants are grouped. */
export function effectiveGrants(policy: Policy): EffectiveGrant[] {
  return [...indexOf(policy).decisions].map(([key, decision]) => {
    const [role, purpose, category, operation] = key.split(SEP) as [string, string, string, Operation];
    return { role, purpose, category, operation, masking: decision.masking };
  });
}

/** How credentials of `role` may come to exist (see ROLE_ISSUANCE); undefined when the role is not declared. */
export function issuanceOf(policy: Policy, role: string): RoleIssuance | undefined {
  return policy.roles.find((r) => r.id === role)?.issuance;
}

/** Whether the role acts for one data subject per request (see roleSchema.subjectBound). */
export function isSubjectBound(policy: Policy, role: string): boolean {
  return policy.roles.find((r) => r.id === role)?.subjectBound ?? false;
}

/**
 * Whether `holder` may already do with personal data everything `role` may: every effective grant of `role` on a
 * personal category is matched by one of `holder` with the same purpose, category and operation and no more
 * masking. A role that passes cannot be used to mint a token stronger than itself.
 */
export function covers(policy: Policy, holder: string, role: string): boolean {
  const index = indexOf(policy);
  for (const [key, decision] of index.decisions) {
    const [r, purpose, category, operation] = key.split(SEP) as [string, string, string, string];
    if (r !== role || !index.categories.get(category)?.personal) continue;
    const held = index.decisions.get(accessKey(holder, purpose, category, operation));
    if (!held || MASKING_RANK[held.masking] > MASKING_RANK[decision.masking]) return false;
  }
  return true;
}

/** The action the policy sets for `cls` found in `field` (its class override, else the field's); undefined when the field is not guarded. */
export function detectorAction(policy: Policy, field: string, cls: GuardClass): DetectorAction | undefined {
  return policy.detectors.classes[field]?.[cls] ?? policy.detectors.fields[field];
}
