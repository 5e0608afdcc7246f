import { extractText, getDocumentProxy } from 'unpdf';
import { expect, it } from 'vitest';
import { describeHttp, expectError } from '../../../../test/support/http.ts';
import type { ProcessingRecordModel } from '../../../reports/processing-record.model.ts';

describeHttp('records of processing', ({ h, seed }) => {
  it('matches the policy in force and the live counts', async () => {
    const t = h();
    seed();
    const res = await t.app.inject({ url: '/v1/reports/processing', headers: await t.headers('dpo') });
    expect(res.statusCode, res.body).toBe(200);
    const m = res.json<ProcessingRecordModel>();
    const policy = t.sigilo.policies.policy();
    expect(m.policyVersion).toBe(policy.version);
    expect(m.categories.map((c) => c.id)).toEqual(
      policy.categories.filter((c) => c.personal).map((c) => c.id),
    );
    expect(m.purposes.map((p) => p.id)).toEqual(policy.purposes.map((p) => p.id));
    expect(m.retention).toHaveLength(policy.retention.length);
    const byId = new Map(m.categories.map((c) => [c.id, c]));
    // The seeded customer: one account and one person (both named), one phone, a ticket with its first message.
    const db = t.sigilo.store.db;
    const count = async (table: 'accounts' | 'people' | 'tickets' | 'ticket_messages') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((e) => e.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(byId.get('name')).toMatchObject({
      records: (await count('accounts')) + (await count('people')),
      legalBasis: 'LGPD Art. 7º, V',
    });
    // Distinct subjects across a category's tables: a person named on two rows counts once.
    const ids = async (table: 'accounts' | 'people' | 'tickets' | 'ticket_messages') =>
      (await db.selectFrom(table).select('subject_id').execute()).map((r) => r.subject_id);
    expect(byId.get('name')!.subjects).toBe(
      new Set([...(await ids('accounts')), ...(await ids('people'))]).size,
    );
    expect(byId.get('support_ticket')!.subjects).toBe(
      new Set([...(await ids('tickets')), ...(await ids('ticket_messages'))]).size,
    );
    expect(byId.get('support_ticket')!.records).toBe(
      (await count('tickets')) + (await count('ticket_messages')),
    );
    expect(byId.get('security_incident')).toMatchObject({
      records: 0,
      retention: expect.stringContaining('5 anos') as unknown,
    });
    expect(m.subjects.accounts).toBeGreaterThanOrEqual(1);
    const support = m.purposes.find((p) => p.id === 'support')!;
    expect(support.accesses).toBeGreaterThan(0);
    expect(support.categories).toContain('Chamados de suporte');
    expect(m.sharing.map((s) => s.recipient).join(' ')).toMatch(/Autoridades competentes/);
    expect(m.legalBases.map((b) => b.basis)).toContain('LGPD Art. 7º, V');

    const logged = await db
      .selectFrom('access_log')
      .select(['operation', 'role'])
      .where('request_id', '=', res.headers['x-request-id'] as string)
      .execute();
    expect(logged).toEqual([{ operation: 'report.processing', role: 'dpo' }]);
  });

  it('renders HTML and a PDF whose text names every category', async () => {
    const t = h();
    const headers = await t.headers('auditor');
    const labels = t.sigilo.policies
      .policy()
      .categories.filter((c) => c.personal)
      .map((c) => c.label.pt);
    const html = await t.app.inject({ url: '/v1/reports/processing?format=html', headers });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    for (const l of labels) expect(html.body).toContain(l.replace(/&/g, '&amp;'));
    const pdf = await t.app.inject({ url: '/v1/reports/processing?format=pdf', headers });
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf.rawPayload)), {
      mergePages: true,
    });
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Registro das operações de tratamento de dados pessoais');
    for (const l of labels) expect(flat).toContain(l);
    expect(flat).toContain('Resolução CD/ANPD 15/2024, Art. 10');
  });

  it('is for the DPO and the auditor only', async () => {
    const t = h();
    expectError(
      await t.app.inject({
        url: '/v1/reports/processing',
        headers: await t.headers('support_agent', 'support'),
      }),
      403,
      'ROLE_NOT_ALLOWED',
    );
  });
});
