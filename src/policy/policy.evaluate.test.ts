import { describe, expect, it } from 'vitest';
import {
  categoriesFor,
  dutiesOf,
  evaluate,
  hasPurposeGrant,
  isPersonalCategory,
  requireDuty,
  retentionRuleFor,
  rolesWithDuty,
} from './policy.evaluate.ts';
import type { DenyCode } from './policy.evaluate.ts';
import { loadDefaultPolicy, parsePolicy } from './policy.loader.ts';
import { OPERATIONS } from './policy.schema.ts';
import type { Masking, Operation } from './policy.schema.ts';

const policy = loadDefaultPolicy();
const ROLES = policy.roles.map((r) => r.id);
const PURPOSES = policy.purposes.map((p) => p.id);
const CATEGORIES = policy.categories.map((c) => c.id);

type Row = [
  role: string,
  purpose: string,
  category: string,
  operation: Operation,
  expected: Masking | DenyCode,
];

// One row per role with representative allowed and denied cells of the seed matrix.
const MATRIX: Row[] = [
  // Atendimento
  ['support_agent', 'support', 'phone', 'read', 'none'],
  ['support_agent', 'support', 'support_ticket', 'write', 'none'],
  ['support_agent', 'support', 'support_recording', 'read', 'none'],
  ['support_agent', 'support', 'tax_id', 'read', 'partial'],
  ['support_agent', 'support', 'tax_id', 'write', 'PURPOSE_NOT_ALLOWED'],
  ['support_agent', 'support', 'payment', 'read', 'none'],
  ['support_agent', 'support', 'payment', 'write', 'PURPOSE_NOT_ALLOWED'],
  ['support_agent', 'support', 'call_record', 'read', 'partial'],
  ['support_agent', 'support', 'provisioning_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['support_agent', 'support', 'authentication_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['support_agent', 'support', 'email', 'export', 'PURPOSE_NOT_ALLOWED'],
  ['support_agent', 'support', 'name', 'delete', 'PURPOSE_NOT_ALLOWED'],
  ['support_agent', 'contracting', 'tax_id', 'write', 'none'],
  ['support_agent', 'contracting', 'payment', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['support_agent', 'billing', 'payment', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Financeiro
  ['billing', 'billing', 'payment', 'write', 'none'],
  ['billing', 'billing', 'tax_id', 'read', 'none'],
  ['billing', 'billing', 'phone', 'read', 'partial'],
  ['billing', 'billing', 'phone', 'write', 'PURPOSE_NOT_ALLOWED'],
  ['billing', 'billing', 'call_record', 'read', 'partial'],
  ['billing', 'billing', 'connection_record', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['billing', 'billing', 'support_ticket', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['billing', 'contracting', 'contract', 'write', 'none'],
  ['billing', 'support', 'name', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Provisionamento / NOC
  ['provisioning', 'provisioning', 'provisioning_secret', 'read', 'none'],
  ['provisioning', 'provisioning', 'authentication_secret', 'write', 'hidden'],
  ['provisioning', 'provisioning', 'authentication_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['provisioning', 'provisioning', 'ip_address', 'write', 'none'],
  ['provisioning', 'provisioning', 'name', 'read', 'partial'],
  ['provisioning', 'provisioning', 'connection_record', 'read', 'partial'],
  ['provisioning', 'provisioning', 'email', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['provisioning', 'support', 'provisioning_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Encarregado
  ['dpo', 'subject_request', 'call_record', 'export', 'none'],
  ['dpo', 'subject_request', 'support_recording', 'delete', 'none'],
  ['dpo', 'subject_request', 'security_incident', 'write', 'none'],
  ['dpo', 'subject_request', 'security_incident', 'delete', 'PURPOSE_NOT_ALLOWED'],
  ['dpo', 'subject_request', 'provisioning_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['dpo', 'subject_request', 'authentication_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['dpo', 'legal_obligation', 'security_incident', 'read', 'none'],
  ['dpo', 'legal_obligation', 'name', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['dpo', 'support', 'name', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Jurídico
  ['legal', 'authority_order', 'call_record', 'export', 'none'],
  ['legal', 'authority_order', 'connection_record', 'read', 'none'],
  ['legal', 'authority_order', 'tax_id', 'read', 'none'],
  ['legal', 'authority_order', 'support_recording', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['legal', 'authority_order', 'call_record', 'delete', 'PURPOSE_NOT_ALLOWED'],
  ['legal', 'legal_obligation', 'call_record', 'read', 'none'],
  ['legal', 'legal_obligation', 'call_record', 'export', 'PURPOSE_NOT_ALLOWED'],
  ['legal', 'support', 'call_record', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['legal', 'subject_request', 'call_record', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Portal do titular
  ['subject_portal', 'subject_request', 'call_record', 'export', 'none'],
  ['subject_portal', 'subject_request', 'email', 'write', 'none'],
  ['subject_portal', 'subject_request', 'tax_id', 'write', 'PURPOSE_NOT_ALLOWED'],
  ['subject_portal', 'subject_request', 'payment', 'delete', 'PURPOSE_NOT_ALLOWED'],
  ['subject_portal', 'subject_request', 'support_recording', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['subject_portal', 'subject_request', 'security_incident', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['subject_portal', 'provisioning', 'authentication_secret', 'read', 'none'],
  ['subject_portal', 'provisioning', 'provisioning_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Plataformas de rede
  ['network_platform', 'provisioning', 'call_record', 'write', 'hidden'],
  ['network_platform', 'provisioning', 'access_record', 'write', 'hidden'],
  ['network_platform', 'provisioning', 'call_record', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['network_platform', 'provisioning', 'name', 'write', 'PURPOSE_NOT_ALLOWED'],
  // Sistema (retention sweeps)
  ['system', 'legal_obligation', 'provisioning_secret', 'delete', 'hidden'],
  ['system', 'legal_obligation', 'provisioning_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['dpo', 'subject_request', 'provisioning_secret', 'delete', 'hidden'],
  ['dpo', 'subject_request', 'provisioning_secret', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['system', 'legal_obligation', 'call_record', 'read', 'none'],
  ['system', 'legal_obligation', 'call_record', 'write', 'PURPOSE_NOT_ALLOWED'],
  ['system', 'legal_obligation', 'email', 'export', 'PURPOSE_NOT_ALLOWED'],
  ['system', 'support', 'email', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Auditoria and administração never see personal data
  ['auditor', 'legal_obligation', 'access_record', 'read', 'PURPOSE_NOT_ALLOWED'],
  ['admin', 'support', 'name', 'read', 'PURPOSE_NOT_ALLOWED'],
  // Unknown names
  ['support_agent', 'marketing', 'name', 'read', 'PURPOSE_UNKNOWN'],
  ['support_agent', 'support', 'religion', 'read', 'CATEGORY_NOT_DECLARED'],
  ['intern', 'support', 'name', 'read', 'ROLE_NOT_ALLOWED'],
  ['intern', 'marketing', 'religion', 'read', 'PURPOSE_UNKNOWN'],
];

describe('evaluate on the seed policy', () => {
  it.each(MATRIX)('%s / %s / %s / %s → %s', (role, purpose, category, operation, expected) => {
    const decision = evaluate(policy, { role, purpose, category, operation });
    if (expected === 'none' || expected === 'partial' || expected === 'hidden') {
      expect(decision).toMatchObject({ allowed: true, masking: expected });
      expect(decision.allowed && decision.legalBasis).toMatch(/^LGPD Art/);
    } else {
      expect(decision).toMatchObject({ allowed: false, code: expected });
    }
  });

  it('covers every role in the table', () => {
    expect(new Set(MATRIX.map((row) => row[0]))).toEqual(new Set([...ROLES, 'intern']));
  });

  it('gives auditor and admin nothing, anywhere', () => {
    for (const role of ['auditor', 'admin']) {
      for (const purpose of PURPOSES) {
        expect(OPERATIONS.flatMap((op) => categoriesFor(policy, role, purpose, op))).toEqual([]);
      }
    }
  });

  it('releases provisioning secrets only to provisioning for provisioning (not even to the retention sweep)', () => {
    const readers = ROLES.flatMap((role) =>
      PURPOSES.filter(
        (purpose) =>
          evaluate(policy, { role, purpose, category: 'provisioning_secret', operation: 'read' }).allowed,
      ).map((purpose) => `${role}/${purpose}`),
    );
    expect(readers).toEqual(['provisioning/provisioning']);
  });

  it('lets legal read call records only under authority_order or legal_obligation, and export only under an order', () => {
    const allowedFor = (operation: Operation): string[] =>
      PURPOSES.filter(
        (purpose) => evaluate(policy, { role: 'legal', purpose, category: 'call_record', operation }).allowed,
      );
    expect(allowedFor('read')).toEqual(['legal_obligation', 'authority_order']);
    expect(allowedFor('export')).toEqual(['authority_order']);
  });

  it('lets only subject requests, the retention sweep and the NOC (attribution rules) delete', () => {
    const deleters = ROLES.flatMap((role) =>
      PURPOSES.filter((purpose) => categoriesFor(policy, role, purpose, 'delete').length > 0).map(
        (purpose) => `${role}/${purpose}`,
      ),
    );
    expect(deleters).toEqual(['provisioning/provisioning', 'dpo/subject_request', 'system/legal_obligation']);
    expect(categoriesFor(policy, 'provisioning', 'provisioning', 'delete')).toEqual(['network_identifier']);
  });

  it('returns the purpose legal basis with an allowed decision', () => {
    const decision = evaluate(policy, {
      role: 'legal',
      purpose: 'authority_order',
      category: 'name',
      operation: 'read',
    });
    expect(decision.allowed && decision.legalBasis).toBe(
      policy.purposes.find((p) => p.id === 'authority_order')?.legalBasis,
    );
  });

  it('explains a denial without echoing anything but ids', () => {
    const decision = evaluate(policy, {
      role: 'billing',
      purpose: 'billing',
      category: 'support_ticket',
      operation: 'read',
    });
    expect(decision).toMatchObject({
      allowed: false,
      reason: "role 'billing' may not read 'support_ticket' for purpose 'billing'",
    });
  });
});

describe('evaluate with overlapping grants', () => {
  const doc = structuredClone(policy);
  doc.grants.push(
    { role: 'billing', purpose: 'billing', categories: ['phone'], operations: ['read'], masking: 'hidden' },
    { role: 'billing', purpose: 'billing', categories: ['phone'], operations: ['read'], masking: 'none' },
  );
  const overlapping = parsePolicy(doc);

  it('lets the least masking win', () => {
    expect(
      evaluate(overlapping, { role: 'billing', purpose: 'billing', category: 'phone', operation: 'read' }),
    ).toMatchObject({
      allowed: true,
      masking: 'none',
    });
  });

  it('keeps a separate index per policy object', () => {
    expect(
      evaluate(policy, { role: 'billing', purpose: 'billing', category: 'phone', operation: 'read' }),
    ).toMatchObject({
      masking: 'partial',
    });
  });
});

describe('policy lookups', () => {
  it('lists the categories a role may use, in policy order', () => {
    expect(categoriesFor(policy, 'support_agent', 'contracting', 'write')).toEqual([
      'name',
      'phone',
      'email',
      'postal_address',
      'tax_id',
      'contract',
    ]);
    expect(categoriesFor(policy, 'network_platform', 'provisioning', 'write')).toEqual([
      'access_record',
      'traffic_data',
      'connection_record',
      'call_record',
    ]);
    expect(categoriesFor(policy, 'support_agent', 'marketing', 'read')).toEqual([]);
  });

  it('returns a copy that cannot corrupt the index', () => {
    categoriesFor(policy, 'billing', 'contracting', 'read').push('tax_id');
    expect(categoriesFor(policy, 'billing', 'contracting', 'read')).toEqual(['contract']);
  });

  it('finds retention rules', () => {
    expect(retentionRuleFor(policy, 'call_record')).toMatchObject({
      rule: { kind: 'after', anchor: 'record_created', period: 'P5Y' },
      verified: false,
    });
    expect(retentionRuleFor(policy, 'payment')?.rule).toEqual({
      kind: 'after',
      anchor: 'contract_end',
      period: 'P5Y',
    });
    expect(retentionRuleFor(policy, 'provisioning_secret')?.rule).toEqual({ kind: 'until_contract_end' });
    expect(retentionRuleFor(policy, 'email')?.rule).toEqual({ kind: 'while_referenced' });
    expect(retentionRuleFor(policy, 'religion')).toBeUndefined();
  });

  it('gives every seed category a retention rule and knows which are personal', () => {
    expect(CATEGORIES.filter((c) => !retentionRuleFor(policy, c))).toEqual([]);
    expect(isPersonalCategory(policy, 'security_incident')).toBe(true);
    expect(isPersonalCategory(policy, 'religion')).toBe(false);

    const doc = structuredClone(policy);
    doc.categories.push({
      id: 'plan_catalogue',
      label: { pt: 'Catálogo de planos', en: 'Plan catalogue' },
      description: { pt: 'Planos oferecidos.' },
      fields: ['plan.name'],
      personal: false,
      sensitive: false,
      legalBasis: 'n/a',
    });
    expect(isPersonalCategory(parsePolicy(doc), 'plan_catalogue')).toBe(false);
  });
});

describe('evaluate: duties', () => {
  it('allows a duty exactly to the roles a duty grant gives it', () => {
    expect(evaluate(policy, { role: 'legal', duty: 'legal_hold.write' })).toEqual({ allowed: true });
    expect(evaluate(policy, { role: 'dpo', duty: 'legal_hold.write' })).toEqual({
      allowed: false,
      code: 'ROLE_NOT_ALLOWED',
      reason: "role 'dpo' does not hold duty 'legal_hold.write'",
    });
    expect(evaluate(policy, { role: 'nobody', duty: 'token.issue' }).allowed).toBe(false);
    expect(rolesWithDuty(policy, 'legal_hold.read')).toEqual(['dpo', 'legal', 'auditor']);
    expect(dutiesOf(policy, 'admin')).toEqual([
      'retention.preview',
      'certificate.read',
      'certificate.verify',
      'token.issue',
      'token.list',
      'token.revoke',
    ]);
    // Roles that reach personal data for their work hold no duty in the seed.
    for (const role of ['support_agent', 'billing', 'provisioning', 'network_platform', 'system'])
      expect(dutiesOf(policy, role)).toEqual([]);
  });

  it('follows a changed grant, and requireDuty throws ROLE_NOT_ALLOWED naming the role', () => {
    const doc = structuredClone(policy);
    doc.dutyGrants.push({ role: 'billing', duties: ['certificate.read'] });
    doc.dutyGrants = doc.dutyGrants.map((g) =>
      g.role === 'admin' ? { ...g, duties: g.duties.filter((d) => d !== 'certificate.read') } : g,
    );
    const changed = parsePolicy(doc);
    expect(() => requireDuty(changed, 'billing', 'certificate.read', 'read certificates')).not.toThrow();
    let refused: unknown;
    try {
      requireDuty(changed, 'admin', 'certificate.read', 'read certificates');
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({
      code: 'ROLE_NOT_ALLOWED',
      message: "role 'admin' may not read certificates",
      details: { role: 'admin' },
    });
    expect(() => requireDuty(policy, 'admin', 'certificate.read', 'read certificates')).not.toThrow();
  });

  it('tells whether any grant of a role names a purpose', () => {
    expect(hasPurposeGrant(policy, 'dpo', 'subject_request')).toBe(true);
    expect(hasPurposeGrant(policy, 'subject_portal', 'subject_request')).toBe(true);
    expect(hasPurposeGrant(policy, 'legal', 'subject_request')).toBe(false);
    expect(hasPurposeGrant(policy, 'auditor', 'subject_request')).toBe(false);
  });
});
