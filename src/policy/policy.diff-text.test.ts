import { describe, expect, it } from 'vitest';
import { describeChangesPt } from './policy.diff-text.ts';
import { loadDefaultPolicy, parsePolicy } from './policy.loader.ts';
import type { Policy } from './policy.schema.ts';

const seed = loadDefaultPolicy();
const edited = (change: (doc: Policy) => void): Policy => {
  const doc: Policy = structuredClone(seed);
  doc.version = seed.version + 1;
  change(doc);
  return parsePolicy(doc);
};

describe('describeChangesPt', () => {
  it('says nothing for an unchanged policy', () => {
    expect(describeChangesPt(seed, seed)).toEqual([]);
  });

  it('states a longer retention in Portuguese words and that it needs a second approval', () => {
    const b = edited((doc) => {
      const r = doc.retention.find((x) => x.category === 'support_recording')!;
      r.rule = { kind: 'after', anchor: 'record_created', period: 'P2Y' };
    });
    const lines = describeChangesPt(seed, b);
    expect(lines[0]).toMatch(/segundo encarregado/);
    expect(lines).toContainEqual(
      expect.stringMatching(/^Retenção de Gravações dos atendimentos: de .+ para 2 anos/),
    );
  });

  it('states a new purpose and a new grant with their labels', () => {
    const b = edited((doc) => {
      doc.purposes.push({
        id: 'marketing',
        label: { pt: 'Ofertas', en: 'Offers' },
        description: { pt: 'Envio de ofertas.' },
        legalBasis: 'LGPD Art. 7º, I',
      });
      doc.grants.push({
        role: 'support_agent',
        purpose: 'marketing',
        categories: ['email'],
        operations: ['read'],
        masking: 'partial',
      });
    });
    const lines = describeChangesPt(seed, b);
    expect(lines[0]).toMatch(/segundo encarregado/);
    expect(lines).toContain('Nova finalidade: Ofertas.');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^Novo acesso: o perfil .+ pode consultar Email para Ofertas, com mascaramento parcial\.$/,
      ),
    );
  });

  it('states a stricter detector without calling it loosening', () => {
    const b = edited((doc) => void (doc.detectors.fields['note.body'] = 'reject'));
    expect(describeChangesPt(seed, b)).toEqual([
      'Texto livre em note.body: de reter o texto para revisão do encarregado para recusar o texto.',
    ]);
  });

  it('says when a purpose comes to apply to data collected before it', () => {
    const b = edited((doc) => void (doc.purposes.find((p) => p.id === 'support')!.appliesToExisting = true));
    const lines = describeChangesPt(seed, b);
    expect(lines[0]).toMatch(/segundo encarregado/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^A finalidade .+ passa a valer também para os dados coletados antes dela; .+ Art\. 9º/,
      ),
    );
  });

  it('names a new operator, what it receives and where, and a removed one', () => {
    const withOperator = edited((doc) => {
      doc.operators.push({
        id: 'mailer',
        name: 'Correio Rápido Ltda',
        service: { pt: 'envio de e-mails' },
        categories: ['email'],
        purposes: ['support'],
        country: 'US',
        transferSafeguard: { pt: 'cláusulas-padrão contratuais da ANPD' },
      });
    });
    const added = describeChangesPt(seed, withOperator);
    expect(added[0]).toMatch(/segundo encarregado/);
    expect(added).toContainEqual(
      expect.stringMatching(
        /^Novo operador: Correio Rápido Ltda \(envio de e-mails\), que recebe Email para .+, no país Estados Unidos\.$/,
      ),
    );
    const removed = describeChangesPt(withOperator, { ...seed, version: withOperator.version + 1 });
    expect(removed).toContain('Operador retirado: Correio Rápido Ltda.');
  });

  it('states a duty given to a role as loosening, and one taken away without it', () => {
    const wider = edited((doc) => void doc.dutyGrants.push({ role: 'billing', duties: ['legal_hold.read'] }));
    expect(describeChangesPt(seed, wider)).toEqual([
      expect.stringMatching(/segundo encarregado/),
      'Nova atribuição do perfil Financeiro: Consultar ordens de preservação.',
    ]);
    const narrower = edited((doc) => {
      const legal = doc.dutyGrants.find((g) => g.role === 'legal')!;
      legal.duties = legal.duties.filter((d) => d !== 'legal_hold.write');
    });
    expect(describeChangesPt(seed, narrower)).toEqual([
      'Atribuição retirada do perfil Jurídico: Registrar ordens de preservação.',
    ]);
  });
});
