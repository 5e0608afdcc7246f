/**
 * The records of processing (registro das operações de tratamento, LGPD Art. 37), built from the policy in force
 * and live counts: per category what is kept, for which purposes, by whom, on which legal basis, for how long and
 * how much of it is stored now; per purpose and per legal basis the same seen from the other side; the retention
 * rules with their legal sources; the operators (processors) and the sharing outside the controller.
 */
import { effectiveGrants, rolesWithDuty } from '../policy/policy.evaluate.ts';
import { retentionPeriodPt, UNVERIFIED_SOURCE } from '../policy/policy.render.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { CategoryCount, PurposeCount } from './processing-record.repository.ts';

export interface RopaCategory {
  id: string;
  label: string;
  description: string;
  legalBasis: string;
  purposes: string[];
  roles: string[];
  operators: string[];
  retention: string;
  retentionSource: string;
  records: number;
  subjects: number;
}

export interface RopaPurpose {
  id: string;
  label: string;
  description: string;
  legalBasis: string;
  categories: string[];
  roles: string[];
  /** Allowed accesses under this purpose in the access log, and the disclosures among them. */
  accesses: number;
  disclosures: number;
  legalSecrecy: boolean;
}

export interface RopaLegalBasis {
  basis: string;
  purposes: string[];
  categories: string[];
  records: number;
}

export interface RopaRetention {
  category: string;
  rule: string;
  source: string;
  verified: boolean;
  note: string | null;
  records: number;
}

/** A duty of the policy (an action that is not an operation on a category) and the roles that hold it. */
export interface RopaDuty {
  id: string;
  label: string;
  description: string;
  roles: string[];
}

export interface RopaOperator {
  id: string;
  name: string;
  service: string;
  country: string;
  transferSafeguard: string | null;
  categories: string[];
  purposes: string[];
}

export interface RopaSharing {
  recipient: string;
  purpose: string;
  legalBasis: string;
  categories: string[];
  disclosures: number;
}

export interface ProcessingRecordModel {
  controller: { name: string; dpoEmail: string };
  policyVersion: number;
  effectiveDate: string;
  generatedAt: string;
  subjects: { accounts: number; people: number };
  categories: RopaCategory[];
  purposes: RopaPurpose[];
  legalBases: RopaLegalBasis[];
  retention: RopaRetention[];
  operators: RopaOperator[];
  sharing: RopaSharing[];
  /** The duties some role holds, in policy order (who manages holds, requests, tokens…). */
  duties: RopaDuty[];
}

export interface ProcessingCounts {
  categories: ReadonlyMap<string, CategoryCount>;
  purposes: ReadonlyMap<string, PurposeCount>;
  subjects: { accounts: number; people: number };
}

/** Who receives data outside the controller, by purpose: an authority's order, or the subject's own export. */
const RECIPIENTS: Readonly<Record<string, string>> = {
  authority_order:
    'Autoridades competentes (juízes, delegados, Ministério Público), mediante ordem fundamentada',
  subject_request: 'O próprio titular (acesso e portabilidade, LGPD art. 18)',
};

/** Builds the records of processing of `policy` with the live `counts`. */
export function buildProcessingRecord(
  policy: Policy,
  counts: ProcessingCounts,
  generatedAt: string,
): ProcessingRecordModel {
  const grants = effectiveGrants(policy);
  const label = {
    category: new Map(policy.categories.map((c) => [c.id, c.label.pt])),
    purpose: new Map(policy.purposes.map((p) => [p.id, p.label.pt])),
    role: new Map(policy.roles.map((r) => [r.id, r.label.pt])),
  };
  const names = (ids: Iterable<string>, map: Map<string, string>): string[] =>
    [...new Set(ids)].map((id) => map.get(id) ?? id);
  const countOf = (category: string): CategoryCount =>
    counts.categories.get(category) ?? { records: 0, subjects: 0 };
  const ruleOf = new Map(policy.retention.map((r) => [r.category, r]));

  const categories = policy.categories
    .filter((c) => c.personal)
    .map((c): RopaCategory => {
      const mine = grants.filter((g) => g.category === c.id);
      const retention = ruleOf.get(c.id);
      return {
        id: c.id,
        label: c.label.pt,
        description: c.description.pt,
        legalBasis: c.legalBasis,
        purposes: names(
          mine.map((g) => g.purpose),
          label.purpose,
        ),
        roles: names(
          mine.map((g) => g.role),
          label.role,
        ),
        operators: policy.operators.filter((o) => o.categories.includes(c.id)).map((o) => o.name),
        retention: retention ? retentionPeriodPt(retention.rule) : 'sem prazo declarado',
        retentionSource: retention ? (retention.verified ? retention.source : UNVERIFIED_SOURCE) : '—',
        ...countOf(c.id),
      };
    });

  const purposes = policy.purposes.map((p): RopaPurpose => {
    const mine = grants.filter((g) => g.purpose === p.id);
    const c = counts.purposes.get(p.id) ?? { accesses: 0, disclosures: 0 };
    return {
      id: p.id,
      label: p.label.pt,
      description: p.description.pt,
      legalBasis: p.legalBasis,
      categories: names(
        mine.map((g) => g.category),
        label.category,
      ),
      roles: names(
        mine.map((g) => g.role),
        label.role,
      ),
      accesses: c.accesses,
      disclosures: c.disclosures,
      legalSecrecy: p.legalSecrecy ?? false,
    };
  });

  const bases = new Map<string, RopaLegalBasis>();
  const basis = (b: string): RopaLegalBasis => {
    let entry = bases.get(b);
    if (!entry) bases.set(b, (entry = { basis: b, purposes: [], categories: [], records: 0 }));
    return entry;
  };
  for (const p of policy.purposes) basis(p.legalBasis).purposes.push(p.label.pt);
  for (const c of policy.categories.filter((x) => x.personal)) {
    const entry = basis(c.legalBasis);
    entry.categories.push(c.label.pt);
    entry.records += countOf(c.id).records;
  }

  const retention = policy.retention.map((r): RopaRetention => ({
    category: label.category.get(r.category) ?? r.category,
    rule: retentionPeriodPt(r.rule),
    source: r.source,
    verified: r.verified,
    note: r.note?.pt ?? null,
    records: countOf(r.category).records,
  }));

  const operators = policy.operators.map((o): RopaOperator => ({
    id: o.id,
    name: o.name,
    service: o.service.pt,
    country: o.country,
    transferSafeguard: o.transferSafeguard?.pt ?? null,
    categories: names(o.categories, label.category),
    purposes: names(o.purposes, label.purpose),
  }));

  const sharing = policy.purposes
    .filter((p) => RECIPIENTS[p.id] && grants.some((g) => g.purpose === p.id && g.operation === 'export'))
    .map((p): RopaSharing => ({
      recipient: RECIPIENTS[p.id]!,
      purpose: p.label.pt,
      legalBasis: p.legalBasis,
      categories: names(
        grants.filter((g) => g.purpose === p.id && g.operation === 'export').map((g) => g.category),
        label.category,
      ),
      disclosures: counts.purposes.get(p.id)?.disclosures ?? 0,
    }));
  for (const o of operators) {
    sharing.push({
      recipient: `${o.name} (operador: ${o.service})`,
      purpose: o.purposes.join('; '),
      legalBasis: 'LGPD art. 39 (tratamento pelo operador segundo as instruções do controlador)',
      categories: o.categories,
      disclosures: 0,
    });
  }

  return {
    controller: { name: policy.controller.name, dpoEmail: policy.controller.dpoEmail },
    policyVersion: policy.version,
    effectiveDate: policy.effectiveDate,
    generatedAt,
    subjects: counts.subjects,
    categories,
    purposes,
    legalBases: [...bases.values()],
    retention,
    operators,
    sharing,
    duties: policy.duties
      .map((d): RopaDuty => ({
        id: d.id,
        label: d.label.pt,
        description: d.description.pt,
        roles: names(rolesWithDuty(policy, d.id), label.role),
      }))
      .filter((d) => d.roles.length > 0),
  };
}
