import { describe, expect, it } from 'vitest';
import { diffPolicies, isLoosening } from './policy.diff.ts';
import { loadDefaultPolicy, parsePolicy } from './policy.loader.ts';
import type { Policy } from './policy.schema.ts';

const seed = loadDefaultPolicy();

/** The seed policy after `change`, validated like a real new version. */
function edited(change: (doc: Policy) => void): Policy {
  const doc = structuredClone(seed);
  doc.version = 2;
  change(doc);
  return parsePolicy(doc);
}

const retentionOf = (doc: Policy, category: string): Policy['retention'][number] => {
  const entry = doc.retention.find((r) => r.category === category);
  if (!entry) throw new Error(`no retention for ${category}`);
  return entry;
};
const grantFor = (doc: Policy, role: string, category: string): Policy['grants'][number] => {
  const grant = doc.grants.find((g) => g.role === role && g.categories.includes(category));
  if (!grant) throw new Error(`no grant for ${role}/${category}`);
  return grant;
};

describe('diffPolicies', () => {
  it('finds nothing between a policy and its copy', () => {
    expect(diffPolicies(seed, parsePolicy(structuredClone(seed)))).toEqual([]);
  });

  it('names changed values by id, not by position', () => {
    const b = edited((doc) => {
      doc.categories.reverse();
      const email = doc.categories.find((c) => c.id === 'email');
      if (email) email.label.pt = 'Correio eletrônico';
    });
    expect(diffPolicies(seed, b)).toEqual([
      { path: 'version', before: 1, after: 2 },
      { path: 'categories[email].label.pt', before: 'Email', after: 'Correio eletrônico' },
    ]);
  });

  it('reports added and removed items whole', () => {
    const b = edited((doc) => {
      doc.purposes.push({
        id: 'fraud_prevention',
        label: { pt: 'Prevenção a fraudes', en: 'Fraud prevention' },
        description: { pt: 'Detectar fraudes em chamadas.' },
        legalBasis: 'LGPD Art. 7º, IX',
      });
      doc.roles = doc.roles.filter((r) => r.id !== 'auditor');
      // A role's duty grants go with it (a grant to an undeclared role is POLICY_INVALID).
      doc.dutyGrants = doc.dutyGrants.filter((g) => g.role !== 'auditor');
    });
    const changes = diffPolicies(seed, b);
    expect(changes.map((c) => c.path)).toEqual([
      'version',
      'purposes[fraud_prevention]',
      'roles[auditor]',
      'dutyGrants.auditor',
    ]);
    expect(changes[1]).toMatchObject({ before: undefined, after: { id: 'fraud_prevention' } });
    expect(changes[2]).toMatchObject({ before: { id: 'auditor' }, after: undefined });
  });

  it('compares grants as the effective matrix, so regrouping is no change', () => {
    const regrouped = edited((doc) => {
      const support = doc.grants.filter((g) => g.role === 'support_agent' && g.purpose === 'support');
      doc.grants = [
        ...doc.grants.filter((g) => !support.includes(g)),
        ...support.flatMap((g) => g.categories.map((category) => ({ ...g, categories: [category] }))),
      ];
    });
    expect(diffPolicies(seed, regrouped)).toEqual([{ path: 'version', before: 1, after: 2 }]);

    const unmasked = edited((doc) => {
      grantFor(doc, 'billing', 'phone').masking = 'none';
    });
    expect(diffPolicies(seed, unmasked)).toContainEqual({
      path: 'grants.billing.billing.phone.read',
      before: 'partial',
      after: 'none',
    });
  });

  it('compares duty grants per role and duty, so regrouping is no change', () => {
    const regrouped = edited((doc) => {
      doc.dutyGrants = doc.dutyGrants.flatMap((g) => g.duties.map((d) => ({ role: g.role, duties: [d] })));
    });
    expect(diffPolicies(seed, regrouped)).toEqual([{ path: 'version', before: 1, after: 2 }]);

    const wider = edited((doc) => void doc.dutyGrants.push({ role: 'billing', duties: ['legal_hold.read'] }));
    expect(diffPolicies(seed, wider)).toContainEqual({
      path: 'dutyGrants.billing',
      before: undefined,
      after: { 'legal_hold.read': true },
    });
    const narrower = edited((doc) => {
      const legal = doc.dutyGrants.find((g) => g.role === 'legal')!;
      legal.duties = legal.duties.filter((d) => d !== 'legal_hold.write');
    });
    expect(diffPolicies(seed, narrower)).toContainEqual({
      path: 'dutyGrants.legal["legal_hold.write"]',
      before: true,
      after: undefined,
    });
  });

  it('keys retention by category and quotes detector fields', () => {
    const b = edited((doc) => {
      retentionOf(doc, 'call_record').verified = true;
      doc.detectors.fields['ticket_message.body'] = 'quarantine';
    });
    expect(diffPolicies(seed, b)).toEqual([
      { path: 'version', before: 1, after: 2 },
      { path: 'retention.call_record.verified', before: false, after: true },
      { path: 'detectors.fields["ticket_message.body"]', before: 'redact', after: 'quarantine' },
    ]);
  });
});

describe('isLoosening', () => {
  it.each<[string, (doc: Policy) => void]>([
    [
      'a new grant',
      (doc) => {
        doc.grants.push({
          role: 'billing',
          purpose: 'legal_obligation',
          categories: ['access_record'],
          operations: ['read'],
          masking: 'hidden',
        });
      },
    ],
    ['an added operation', (doc) => void grantFor(doc, 'legal', 'call_record').operations.push('delete')],
    ['lower masking', (doc) => void (grantFor(doc, 'support_agent', 'tax_id').masking = 'none')],
    [
      'a longer period',
      (doc) =>
        void (retentionOf(doc, 'access_record').rule = {
          kind: 'after',
          anchor: 'record_created',
          period: 'P1Y',
        }),
    ],
    [
      'a secret kept past the contract',
      (doc) =>
        void (retentionOf(doc, 'provisioning_secret').rule = {
          kind: 'after',
          anchor: 'contract_end',
          period: 'P90D',
        }),
    ],
    [
      'another anchor, which cannot be ordered',
      (doc) =>
        void (retentionOf(doc, 'payment').rule = { kind: 'after', anchor: 'record_created', period: 'P1Y' }),
    ],
    ['a detector removed', (doc) => void delete doc.detectors.fields['ticket.subject']],
    ['a detector that keeps more', (doc) => void (doc.detectors.fields['ticket.subject'] = 'redact')],
    [
      'a role that becomes easier to obtain',
      (doc) => void (doc.roles.find((r) => r.id === 'legal')!.issuance = 'dpo_approval'),
    ],
    [
      'a class override that keeps more',
      (doc) => void (doc.detectors.classes['ticket.subject'] = { health: 'quarantine' }),
    ],
    [
      'a duty given to a role',
      (doc) => void doc.dutyGrants.push({ role: 'billing', duties: ['legal_hold.read'] }),
    ],
    [
      'a duty added to a role that holds others',
      (doc) => void doc.dutyGrants.find((g) => g.role === 'admin')!.duties.push('audit_log.read'),
    ],
  ])('is true for %s', (_name, change) => {
    expect(isLoosening(seed, edited(change))).toBe(true);
  });

  it.each<[string, (doc: Policy) => void]>([
    ['no change', () => undefined],
    ['new wording', (doc) => void (doc.summary.pt = 'Nova redação.')],
    ['a removed grant', (doc) => void doc.grants.pop()],
    [
      'a duty taken from a role',
      (doc) => void (doc.dutyGrants = doc.dutyGrants.filter((g) => g.role !== 'subject_portal')),
    ],
    [
      'duty grants regrouped',
      (doc) =>
        void (doc.dutyGrants = doc.dutyGrants.flatMap((g) =>
          g.duties.map((d) => ({ role: g.role, duties: [d] })),
        )),
    ],
    ['higher masking', (doc) => void (grantFor(doc, 'support_agent', 'contract').masking = 'partial')],
    [
      'a shorter period',
      (doc) =>
        void (retentionOf(doc, 'support_recording').rule = {
          kind: 'after',
          anchor: 'record_created',
          period: 'P90D',
        }),
    ],
    [
      'the same period written otherwise',
      (doc) =>
        void (retentionOf(doc, 'connection_record').rule = {
          kind: 'after',
          anchor: 'record_created',
          period: 'P12M',
        }),
    ],
    [
      'contract data destroyed at contract end',
      (doc) => void (retentionOf(doc, 'contract').rule = { kind: 'until_contract_end' }),
    ],
    ['a stricter detector', (doc) => void (doc.detectors.fields['note.body'] = 'reject')],
    [
      'a stricter class override',
      (doc) => void (doc.detectors.classes['ticket_message.body'] = { cpf: 'reject' }),
    ],
  ])('is false for %s', (_name, change) => {
    expect(isLoosening(seed, edited(change))).toBe(false);
  });

  it('counts a category that stops being personal as loosening', () => {
    const b = edited((doc) => {
      const incident = doc.categories.find((c) => c.id === 'security_incident');
      if (incident) incident.personal = false;
    });
    expect(isLoosening(seed, b)).toBe(true);
  });

  it('counts a new personal category (it must bring a retention rule) as loosening', () => {
    const b = edited((doc) => {
      doc.categories.push({
        id: 'device_id',
        label: { pt: 'Identificador do aparelho', en: 'Device id' },
        description: { pt: 'Identificador do aparelho SIP.' },
        fields: ['device.mac'],
        personal: true,
        sensitive: false,
        legalBasis: 'LGPD Art. 7º, V',
      });
      doc.retention.push({
        category: 'device_id',
        rule: { kind: 'until_contract_end' },
        source: 'LGPD Arts. 15–16',
        verified: true,
      });
    });
    expect(isLoosening(seed, b)).toBe(true);
  });
});
