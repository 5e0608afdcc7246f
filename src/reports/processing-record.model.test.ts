import { describe, expect, it } from 'vitest';
import { isLoosening } from '../policy/policy.diff.ts';
import { loadDefaultPolicy, parsePolicy } from '../policy/policy.loader.ts';
import type { Policy, PolicyInput } from '../policy/policy.schema.ts';
import { buildProcessingRecord } from './processing-record.model.ts';
import { renderProcessingRecordHtml } from './processing-record.render.ts';

function withOperator(
  extra: Partial<PolicyInput['operators'] extends (infer O)[] | undefined ? O : never> = {},
) {
  const doc = structuredClone(loadDefaultPolicy()) as PolicyInput;
  doc.version = 2;
  doc.operators = [
    {
      id: 'mailer',
      name: 'Correio Rápido Ltda.',
      service: { pt: 'Envio de e-mails transacionais (faturas e avisos).' },
      categories: ['name', 'email'],
      purposes: ['billing'],
      country: 'BR',
      ...extra,
    },
  ];
  return doc;
}

const counts = {
  categories: new Map([
    ['name', { records: 7, subjects: 5 }],
    ['email', { records: 3, subjects: 3 }],
  ]),
  purposes: new Map([['authority_order', { accesses: 4, disclosures: 2 }]]),
  subjects: { accounts: 2, people: 3 },
};

describe('records of processing model', () => {
  it('states every personal category, purpose and retention rule with its counts', () => {
    const policy = loadDefaultPolicy();
    const m = buildProcessingRecord(policy, counts, '2026-11-26T12:00:00.000Z');
    expect(m.categories).toHaveLength(policy.categories.filter((c) => c.personal).length);
    expect(m.categories.find((c) => c.id === 'name')).toMatchObject({
      records: 7,
      subjects: 5,
      label: 'Nome',
    });
    expect(m.categories.find((c) => c.id === 'phone')).toMatchObject({ records: 0, subjects: 0 });
    expect(m.legalBases.find((b) => b.basis === 'LGPD Art. 7º, V')!.records).toBe(10);
    const authority = m.sharing.find((s) => s.purpose === 'Atendimento a ordens de autoridades competentes');
    expect(authority).toMatchObject({ disclosures: 2 });
    expect(m.operators).toEqual([]);
    expect(renderProcessingRecordHtml(m)).toContain('Nenhum operador declarado');
  });

  it('lists each duty some role holds with those roles, following the policy', () => {
    const seed = loadDefaultPolicy();
    const m = buildProcessingRecord(seed, counts, '2026-11-26T12:00:00.000Z');
    const write = m.duties.find((d) => d.id === 'legal_hold.write');
    expect(write).toMatchObject({ label: 'Registrar ordens de preservação', roles: ['Jurídico'] });
    expect(write?.description).toMatch(/^Registrar, prorrogar/);
    expect(renderProcessingRecordHtml(m)).toContain('Atribuições dos perfis');

    const doc = structuredClone(seed);
    doc.version = 2;
    doc.dutyGrants = doc.dutyGrants.filter((g) => g.role !== 'legal');
    const without = buildProcessingRecord(parsePolicy(doc), counts, '2026-11-26T12:00:00.000Z');
    // Held by nobody now: not listed.
    expect(without.duties.map((d) => d.id)).not.toContain('legal_hold.write');
    expect(without.duties.find((d) => d.id === 'legal_hold.read')!.roles).toEqual([
      'Encarregado',
      'Auditoria',
    ]);
  });

  it('lists declared operators with what they receive, and as recipients in the sharing', () => {
    const policy = parsePolicy(withOperator());
    const m = buildProcessingRecord(policy, counts, '2026-11-26T12:00:00.000Z');
    expect(m.operators[0]).toMatchObject({ name: 'Correio Rápido Ltda.', categories: ['Nome', 'Email'] });
    expect(m.categories.find((c) => c.id === 'email')!.operators).toEqual(['Correio Rápido Ltda.']);
    expect(m.sharing.map((s) => s.recipient)).toContain(
      'Correio Rápido Ltda. (operador: Envio de e-mails transacionais (faturas e avisos).)',
    );
  });

  it('requires a transfer safeguard abroad, and a new operator loosens the policy', () => {
    expect(() => parsePolicy(withOperator({ country: 'US' }))).toThrow(/transfer safeguard/);
    const before = loadDefaultPolicy();
    const after: Policy = parsePolicy(withOperator());
    expect(isLoosening(before, after)).toBe(true);
  });
});
