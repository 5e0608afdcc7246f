import { afterEach, describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { createTestSigilo, ctx } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { digestIds } from './deletion-certificate.ts';
import { before, buildCustomer, countRows, DAY_MS } from '../../test/retention/retention.fixture.ts';

// Periods count in Brasília time (UTC−3): a contract whose last day is 30 June 2027 ends at 03:00Z on 1 July.
const CREDENTIALS_GO = '2027-07-01T03:00:00.000Z'; // contract end: secrets destroyed
const TICKET_GOES = '2029-01-10T12:00:00.000Z'; // 2 years after resolution
const CONTRACT_GOES = '2032-07-01T03:00:00.000Z'; // 5 years after contract end (and identity with it)

describe.each(DIALECTS)('retention lifecycle on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('walks one contract from signing to well past every period: each category goes exactly on time', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    const c = await buildCustomer(sigilo, clock, {
      signedOn: '2026-11-26',
      ticketOpenedAt: '2027-01-08T14:00:00.000Z',
      ticketResolvedAt: '2027-01-10T12:00:00.000Z',
      endedOn: '2027-06-30',
    });
    const sweepAt = async (iso: string) => {
      clock.set(iso);
      const report = await sigilo.retention.run();
      return { report, rows: await countRows(sigilo, c) };
    };
    const full = await countRows(sigilo, c);
    expect(full).toMatchObject({ credentials: 2, tickets: 1, ticketMessages: 1, contracts: 1, invoices: 1 });
    expect(full.contractEvents).toBe(2); // signed, terminated

    // The dry run names, per category and rule, when the next items go.
    clock.set('2027-06-30T16:00:00.000Z');
    const preview = await sigilo.retention.preview(ctx('dpo', null));
    const next = Object.fromEntries(preview.targets.map((p) => [p.target, p.nextExpiry]));
    expect(next).toMatchObject({
      'core.authentication-secrets': CREDENTIALS_GO,
      'core.provisioning-secrets': CREDENTIALS_GO,
      'core.tickets': TICKET_GOES,
      'core.contracts': CONTRACT_GOES,
      'core.invoices': CONTRACT_GOES,
      'core.identity': null,
    });
    expect(preview.targets.every((p) => p.due.items === 0)).toBe(true);
    const contractLine = preview.targets.find((p) => p.target === 'core.contracts')!;
    expect(contractLine.ruleText).toBe('5 anos após o término do contrato');
    expect(contractLine.source).toMatch(/CTN/);

    // Secrets: destroyed at the end of the contract's last day, not a moment before.
    expect((await sweepAt(before(CREDENTIALS_GO, DAY_MS))).rows.credentials).toBe(2);
    const justBefore = await sweepAt(before(CREDENTIALS_GO, 1));
    expect(justBefore.rows.credentials).toBe(2);
    expect(justBefore.report.certificateId).toBeNull();
    const atEnd = await sweepAt(CREDENTIALS_GO);
    expect(atEnd.rows).toMatchObject({ credentials: 0, tickets: 1, contracts: 1, invoices: 1, people: 2 });
    expect(atEnd.report.certificateId).not.toBeNull();

    // Support tickets: two years after resolution.
    expect((await sweepAt(before(TICKET_GOES, DAY_MS))).rows.tickets).toBe(1);
    expect((await sweepAt(before(TICKET_GOES, 1))).rows.tickets).toBe(1);
    const ticketSweep = await sweepAt(TICKET_GOES);
    expect(ticketSweep.rows).toMatchObject({ tickets: 0, ticketMessages: 0, contracts: 1, people: 2 });

    // Contract, history and invoices: five years after the end; then nothing needs the identity data any more.
    const dayBefore = await sweepAt(before(CONTRACT_GOES, DAY_MS));
    expect(dayBefore.rows).toMatchObject({ contracts: 1, invoices: 1, accounts: 1, people: 2 });
    expect((await sweepAt(before(CONTRACT_GOES, 1))).rows.contracts).toBe(1);
    const last = await sweepAt(CONTRACT_GOES);
    expect(last.rows).toEqual({
      credentials: 0,
      tickets: 0,
      ticketMessages: 0,
      contracts: 0,
      contractEvents: 0,
      invoices: 0,
      accounts: 0,
      people: 0,
      contactPoints: 0,
      addresses: 0,
      dataKeys: 0,
    });
    expect(last.report.totals.shreddedSubjects).toBe(3);
    const shredded = await sigilo.store.db
      .selectFrom('subjects')
      .select(['id', 'shredded_at'])
      .where('id', 'in', [c.accountId, c.ownerId, c.contactId])
      .execute();
    expect(shredded.map((s) => s.shredded_at)).toEqual([CONTRACT_GOES, CONTRACT_GOES, CONTRACT_GOES]);
    await expect(
      sigilo.gate.run(ctx('support_agent', 'support'), (s) => sigilo.services.people.get(s, c.ownerId)),
    ).rejects.toSatisfy((e) => isSigiloError(e, 'NOT_FOUND'));

    // Well past every period: nothing left to do, no empty certificate.
    const later = await sweepAt('2040-01-01T00:00:00.000Z');
    expect(later.report.totals.records).toBe(0);
    expect(later.report.certificateId).toBeNull();

    // One signed certificate per sweep that deleted something; all verify; they say what went and why.
    const auditor = ctx('auditor', null);
    const certs = await sigilo.retention.certificates.list(auditor);
    expect(certs).toHaveLength(3);
    for (const summary of certs) {
      expect(await sigilo.retention.certificates.verify(auditor, summary.id)).toEqual({ ok: true });
    }
    const ticketCert = await sigilo.retention.certificates.get(auditor, ticketSweep.report.certificateId!);
    const ticketEntry = ticketCert.body.entries.find((e) => e.target === 'core.tickets')!;
    expect(ticketEntry.counts).toMatchObject({ items: 1, records: 2, subjects: 1 });
    expect(ticketEntry.hashes.batches).toEqual([digestIds([c.ticketId])]);
    expect(ticketEntry.timeRange).toEqual({
      from: '2027-01-08T14:00:00.000Z',
      to: '2027-01-10T12:00:00.000Z',
    });
    const lastCert = await sigilo.retention.certificates.get(auditor, last.report.certificateId!);
    expect(lastCert.body.entries.map((e) => e.target)).toEqual([
      'core.invoices',
      'core.contracts',
      'core.identity',
    ]);
    expect(lastCert.body.totals.shreddedSubjects).toBe(3);
    expect(lastCert.body.summaryPt).toContain('5 anos após o término do contrato');
    expect(lastCert.body.summaryPt).toContain('eliminação criptográfica');

    // Every deletion went through the gate: logged, chained and verifiable.
    const sweeps = await sigilo.store.db
      .selectFrom('access_log')
      .select(['operation', 'subject_id'])
      .where('actor', '=', 'retention-sweep')
      .execute();
    expect(
      sweeps
        .filter((e) => e.operation === 'shred')
        .map((e) => e.subject_id)
        .sort(),
    ).toEqual([c.accountId, c.ownerId, c.contactId].sort());
    expect(sweeps.some((e) => e.operation === 'delete' && e.subject_id === c.accountId)).toBe(true);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });
});
