import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo, ctx, testClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import {
  expectSigiloError,
  MARIA,
  seedCustomer,
  type Customer,
  type CustomerData,
} from '../support/vault.ts';

/** Maria's double: the same name and product, numbers one digit apart (must never appear in Maria's export). */
const LOOKALIKE: CustomerData = {
  ...MARIA,
  companyName: 'Acme Telecomunicações S.A.',
  cnpj: '04.252.011/0001-10',
  phones: ['(11) 98765-4322'],
  emails: ['maria.souza@example.com'],
  ips: ['200.160.2.4'],
  sipSecret: 'sip-lookalike-000',
};

const dpo = (): ReturnType<typeof ctx> => ctx('dpo', 'subject_request');

function sink(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { out, text: () => chunks.join('') };
}

async function calls(sigilo: Sigilo, accountId: string, callee: string, n: number): Promise<void> {
  const records = Array.from({ length: n }, (_, i) => ({
    platformId: `${accountId.slice(-6)}-${i}`,
    startedAt: `2026-03-0${i + 1}T10:00:00Z`,
    endedAt: `2026-03-0${i + 1}T10:01:00Z`,
    caller: '1001',
    callee,
  }));
  await sigilo.services.telecomIngest.ingestObjects(ctx('network_platform', 'provisioning'), 'cdr', records, {
    accountId,
  });
}

/** A support-call recording of `ticketId` (a few bytes of audio), recorded at `recordedAt`. */
async function recording(
  sigilo: Sigilo,
  ticketId: string,
  recordedAt: string,
  bytes: number,
): Promise<string> {
  const stored = await sigilo.services.recordings.upload(
    ctx('support_agent', 'support'),
    ticketId,
    Readable.from([Buffer.alloc(bytes, 7)]),
    { contentType: 'audio/wav', recordedAt },
  );
  return stored.id;
}

async function verifiedRequest(
  sigilo: Sigilo,
  subjectId: string,
  type: 'access_complete' | 'portability' | 'access_history' | 'sharing_information' = 'access_complete',
): Promise<string> {
  const r = await sigilo.gate.run(dpo(), (s) =>
    sigilo.services.subjectRequests.create(s, { subjectId, type, channel: 'email' }),
  );
  await sigilo.gate.run(dpo(), (s) =>
    sigilo.services.subjectRequests.verifyIdentity(s, r.id, {
      method: 'document_check',
      documentKind: 'cnh',
      reference: 'DPO-2026/7',
    }),
  );
  return r.id;
}

describe.each(DIALECTS)('the subject export on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  let sigilo: Sigilo;
  let maria: Customer;
  let lookalike: Customer;

  async function setup(): Promise<void> {
    const t = await createTestSigilo(dialect, { clock: testClock('2026-04-01T12:00:00.000Z') });
    cleanup = t.cleanup;
    sigilo = t.sigilo;
    maria = await seedCustomer(sigilo);
    lookalike = await seedCustomer(sigilo, LOOKALIKE);
    await calls(sigilo, maria.accountId, '+5511987654321', 3);
    await calls(sigilo, lookalike.accountId, '+5511987654322', 2);
  }

  it('streams nothing before identity is verified', async () => {
    await setup();
    const r = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.create(s, {
        subjectId: maria.accountId,
        type: 'access_complete',
        channel: 'email',
      }),
    );
    const { out, text } = sink();
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.exportTo(s, r.id, out)),
      'IDENTITY_NOT_VERIFIED',
    );
    expect(text()).toBe('');
  });

  it("holds all and only the account's data, equal to a direct gated read of every category", async () => {
    await setup();
    const id = await verifiedRequest(sigilo, maria.accountId);
    const { out, text } = sink();
    await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.exportTo(s, id, out));
    const raw = text();
    const doc = JSON.parse(raw) as {
      format: string;
      version: number;
      subject: { id: string; kind: string };
      sections: Record<string, { id?: string; data?: Record<string, unknown> }[]>;
      summary: { categories: Record<string, { items: number }> };
    };
    expect(doc).toMatchObject({
      format: 'sigilo.subject-export',
      version: 2,
      subject: { id: maria.accountId, kind: 'account' },
    });

    // The same data read directly through the gate, category by category.
    const direct = await sigilo.gate.run(dpo(), async (s) => ({
      account: await sigilo.services.accounts.get(s, maria.accountId),
      contracts: await sigilo.services.contracts.listForAccount(s, maria.accountId),
      history: await sigilo.services.contracts.history(s, maria.contractId),
      invoices: await sigilo.services.invoices.listForAccount(s, maria.accountId),
      calls: await sigilo.services.telecomQuery.accountHistory(s, 'cdr', maria.accountId, {}, 1000),
    }));
    expect(doc.sections.accounts).toHaveLength(1);
    expect(doc.sections.accounts![0]!.data).toEqual({
      name: direct.account.name,
      taxId: direct.account.taxId,
    });
    expect(doc.sections.contracts!.map((c) => c.data)).toEqual(
      direct.contracts.map((c) => ({ terms: c.terms })),
    );
    expect(doc.sections.contractEvents!.map((c) => c.id)).toEqual(direct.history.map((e) => e.id));
    expect(doc.sections.invoices!.map((c) => c.data)).toEqual(
      direct.invoices.map((i) => ({ details: i.details })),
    );
    expect(doc.sections.callRecords).toEqual(direct.calls.records);
    expect(doc.sections.callRecords).toHaveLength(3);
    // Maria's person is a subject of her own: none of her personal rows are in the company's export.
    for (const s of ['people', 'phones', 'emails', 'ipAddresses', 'addresses', 'tickets', 'ticketMessages']) {
      expect(doc.sections[s], s).toEqual([]);
    }
    expect(doc.summary.categories.call_record?.items).toBe(3);

    // Nothing of the look-alike customer.
    for (const leak of [
      lookalike.accountId,
      lookalike.contractId,
      lookalike.invoiceId,
      '04252011000110',
      '+5511987654322',
      'S.A.',
    ]) {
      expect(raw.includes(leak), leak).toBe(false);
    }
  });

  it("lists the person's recordings (metadata and retention, never the audio), as a gated read does", async () => {
    await setup();
    const mine = [
      await recording(sigilo, maria.ticketId, '2026-03-20T13:00:00.000Z', 4_096),
      await recording(sigilo, maria.ticketId, '2026-03-21T09:30:00.000Z', 2_048),
    ];
    const theirs = await recording(sigilo, lookalike.ticketId, '2026-03-20T13:00:00.000Z', 4_096);
    const id = await verifiedRequest(sigilo, maria.personId);
    const { out, text } = sink();
    await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.exportTo(s, id, out));
    const raw = text();
    const doc = JSON.parse(raw) as {
      sections: { recordings: { id: string; data: object; attributes: Record<string, unknown> }[] };
      summary: { categories: Record<string, { items: number }> };
    };
    const direct = await sigilo.services.recordings.listForTicket(dpo(), maria.ticketId);
    expect(doc.sections.recordings.map((r) => r.id)).toEqual(direct.map((r) => r.id));
    expect(doc.sections.recordings.map((r) => r.id)).toEqual(mine);
    expect(doc.sections.recordings.map((r) => r.attributes)).toEqual(
      direct.map((r) => ({
        ticket_id: maria.ticketId,
        recorded_at: r.recordedAt,
        duration_seconds: null,
        size_bytes: r.sizeBytes,
        content_type: 'audio/wav',
        audio: 'not_included',
        retention: {
          rule: '6 meses a partir da data de cada registro',
          source: 'Resolução Anatel 632/2014, Art. 26; Decreto 11.034/2022, Art. 12, §3º',
          until:
            r.recordedAt === '2026-03-20T13:00:00.000Z'
              ? '2026-09-20T13:00:00.000Z'
              : '2026-09-21T09:30:00.000Z',
        },
      })),
    );
    expect(doc.sections.recordings.every((r) => Object.keys(r.data).length === 0)).toBe(true);
    expect(doc.summary.categories.support_recording?.items).toBe(2);
    expect(raw.includes(theirs)).toBe(false);

    // The report lists them too, with the date each is kept until.
    const report = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.report(s, id));
    expect(report.recordings).toEqual([
      { recordedAt: '2026-03-20T13:00:00.000Z', sizeBytes: 4_096, keptUntil: '2026-09-20T13:00:00.000Z' },
      { recordedAt: '2026-03-21T09:30:00.000Z', sizeBytes: 2_048, keptUntil: expect.any(String) as unknown },
    ]);
  });

  it("holds the person's contacts, tickets and calls, and withholds secrets", async () => {
    await setup();
    const id = await verifiedRequest(sigilo, maria.personId, 'portability');
    const { out, text } = sink();
    await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.exportTo(s, id, out));
    const raw = text();
    const doc = JSON.parse(raw) as {
      sections: Record<string, { data?: Record<string, unknown>; value?: string; kind?: string }[]>;
    };
    const person = await sigilo.gate.run(dpo(), (s) => sigilo.services.people.get(s, maria.personId));
    expect(doc.sections.people!.map((p) => p.data)).toEqual([{ name: person.name }]);
    expect(doc.sections.phones!.map((p) => p.data!.value).sort()).toEqual(
      person.phones!.map((p) => p.value).sort(),
    );
    expect(doc.sections.emails!.map((p) => p.data!.value)).toEqual(person.emails!.map((p) => p.value));
    expect(doc.sections.ipAddresses!.map((p) => p.data!.value).sort()).toEqual(
      person.ipAddresses!.map((p) => p.value).sort(),
    );
    expect(doc.sections.addresses!.map((p) => p.data!.address)).toEqual(
      person.addresses!.map((a) => a.address),
    );
    expect(doc.sections.tickets).toHaveLength(1);
    expect(doc.sections.ticketMessages).toHaveLength(1);
    expect(doc.sections.callRecords).toHaveLength(3);
    expect(doc.sections.credentials).toEqual([
      { kind: 'provisioning_secret', createdAt: expect.any(String) as unknown, value: 'withheld' },
    ]);
    expect(doc.sections.accounts).toEqual([]);
    for (const leak of [
      MARIA.sipSecret,
      LOOKALIKE.sipSecret,
      lookalike.personId,
      '+5511987654322',
      'maria.souza@example.com"',
      '200.160.2.4',
    ]) {
      expect(raw.includes(leak), leak).toBe(false);
    }
    // The request is answered with counts only.
    const r = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectRequests.get(s, id));
    expect(r).toMatchObject({ state: 'answered', answer: { categories: { phone: 2, call_record: 3 } } });
  });

  it('shows the access history by role and pseudonym, without entries under legal secrecy', async () => {
    await setup();
    const agent = ctx('support_agent', 'support', 'token:agent-ana');
    await sigilo.gate.run(agent, (s) => sigilo.services.accounts.get(s, maria.accountId));
    await sigilo.gate.run(ctx('support_agent', 'support', 'token:agent-ana'), (s) =>
      sigilo.services.contracts.listForAccount(s, maria.accountId),
    );
    // An authority order (secret) reads and exports Maria's account.
    await sigilo.gate.run(ctx('legal', 'authority_order', 'token:legal-1'), async (s) => {
      await sigilo.services.accounts.get(s, maria.accountId);
      for await (const _ of sigilo.services.telecomQuery.exportAccount(
        s,
        'cdr',
        maria.accountId,
        {},
        'ndjson',
      )) {
        // drained
      }
    });
    const id = await verifiedRequest(sigilo, maria.accountId, 'access_history');
    const history = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.accessHistory(s, id));
    expect(history.some((e) => e.purpose === 'authority_order' || e.role === 'legal')).toBe(false);
    const ana = history.filter((e) => e.role === 'support_agent' && e.purpose === 'support');
    expect(ana.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ana.map((e) => e.actor)).size).toBe(1);
    expect(ana[0]!.actor).toMatch(/^staff-[0-9a-f]{12}$/);
    expect(ana[0]).toMatchObject({ roleLabel: 'Atendimento', purposeLabel: 'Suporte ao cliente' });
    expect(JSON.stringify(history)).not.toContain('agent-ana');

    const sharingId = await verifiedRequest(sigilo, maria.accountId, 'sharing_information');
    const sharing = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectAnswers.sharingInformation(s, sharingId),
    );
    expect(sharing.disclosed).toEqual([]);
    expect(sharing.statement).toContain('sigilo legal');
  });
});
