import { describe, expect, it } from 'vitest';
import { generateSigningKey, signEd25519 } from '../crypto/signing.ts';
import { createTestSigilo, ctx } from '../../test/support/sigilo.ts';
import {
  canonicalJson,
  digestIds,
  rootDigest,
  signCertificate,
  summaryPt,
  verifyCertificate,
  type CertificateBody,
  type DeletionCertificate,
  type Signer,
} from './deletion-certificate.ts';
import { buildCustomer } from '../../test/retention/retention.fixture.ts';

function signer(): Signer {
  const { seed, publicKey } = generateSigningKey();
  return { sign: (m) => signEd25519(seed, m), signingPublicKey: publicKey };
}

function body(): CertificateBody {
  const batches = [digestIds(['b', 'a']), digestIds(['c'])];
  const partial: Omit<CertificateBody, 'summaryPt'> = {
    type: 'sigilo.deletion-certificate',
    version: 1,
    id: 'cert-1',
    runId: 'run-1',
    runStatus: 'completed',
    issuedAt: '2029-01-10T12:00:00.000Z',
    sweep: { startedAt: '2029-01-10T12:00:00.000Z', finishedAt: '2029-01-10T12:00:00.000Z' },
    policyVersion: 1,
    entries: [
      {
        target: 'core.tickets',
        category: 'support_ticket',
        categoryLabel: 'Chamados de suporte',
        description: 'chamados de suporte e suas mensagens',
        rule: { kind: 'after', anchor: 'ticket_resolved', period: 'P2Y' },
        ruleText: '2 anos após a resolução do chamado',
        source: 'Decreto 11.034/2022, Art. 12, §5º',
        verified: true,
        counts: { items: 3, records: 6, subjects: 1, shreddedSubjects: 0, batches: 2 },
        timeRange: { from: '2027-01-08T14:00:00.000Z', to: '2027-01-10T12:00:00.000Z' },
        hashes: { algorithm: 'sha256', batches, root: rootDigest(batches) },
      },
    ],
    totals: { items: 3, records: 6, shreddedSubjects: 0 },
  };
  return { ...partial, summaryPt: summaryPt(partial, 'America/Sao_Paulo') };
}

/** A copy of the certificate whose signed bytes say something else. */
function tamper(cert: DeletionCertificate, change: (b: CertificateBody) => void): DeletionCertificate {
  const b = JSON.parse(cert.canonical) as CertificateBody;
  change(b);
  return { ...cert, body: b, canonical: canonicalJson(b) };
}

describe('deletion certificates', () => {
  it('hash the sorted ids of a batch, so the order of deletion does not matter', () => {
    expect(digestIds(['b', 'a'])).toBe(digestIds(['a', 'b']));
    expect(digestIds(['a', 'b'])).not.toBe(digestIds(['a', 'c']));
    expect(digestIds([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('verify when untouched and fail when any signed byte, the signature or the key changes', () => {
    const s = signer();
    const cert = signCertificate(body(), s);
    expect(verifyCertificate(cert, s.signingPublicKey)).toEqual({ ok: true });
    // Survives a JSON round trip (export to a file, read back).
    expect(
      verifyCertificate(JSON.parse(JSON.stringify(cert)) as DeletionCertificate, s.signingPublicKey),
    ).toEqual({
      ok: true,
    });

    const fewer = tamper(cert, (b) => {
      b.entries[0]!.counts.records = 5;
      b.totals.records = 5;
    });
    expect(verifyCertificate(fewer, s.signingPublicKey)).toEqual({ ok: false, problem: 'signature_invalid' });
    const otherRule = tamper(cert, (b) => {
      b.entries[0]!.source = 'Lei inventada';
    });
    expect(verifyCertificate(otherRule, s.signingPublicKey).ok).toBe(false);

    const sig = Buffer.from(cert.signature, 'base64');
    sig[10] = sig[10]! ^ 1;
    expect(verifyCertificate({ ...cert, signature: sig.toString('base64') }, s.signingPublicKey)).toEqual({
      ok: false,
      problem: 'signature_invalid',
    });

    // The readable body next to the signed bytes must match them.
    expect(
      verifyCertificate(
        { ...cert, body: { ...cert.body, totals: { ...cert.body.totals, records: 1 } } },
        s.signingPublicKey,
      ),
    ).toEqual({ ok: false, problem: 'body_mismatch' });

    // Re-signed by someone else: their key is not Sigilo's.
    const forger = signer();
    const forged = signCertificate(tamper(cert, (b) => (b.totals.records = 6)).body, forger);
    expect(verifyCertificate(forged, s.signingPublicKey)).toEqual({ ok: false, problem: 'unknown_key' });
    expect(verifyCertificate({ ...cert, canonical: '{' }, s.signingPublicKey).ok).toBe(false);
  });

  it('carry a Portuguese summary naming the rule, the source and the period', () => {
    const text = body().summaryPt;
    expect(text).toContain('Foram eliminados 6 registros');
    expect(text).toContain('2 anos após a resolução do chamado');
    expect(text).toContain('Decreto 11.034/2022');
    expect(text).toContain('08/01/2027 a 10/01/2027');
    expect(text).toContain('sigilo retention verify cert-1');
    expect(text).toContain('6 registros de 1 titular');
  });

  it('agree the summary with a single record', () => {
    const b = body();
    const entry = { ...b.entries[0]!, counts: { ...b.entries[0]!.counts, records: 1, subjects: 1 } };
    const { summaryPt: _s, ...partial } = {
      ...b,
      entries: [entry],
      totals: { items: 1, records: 1, shreddedSubjects: 1 },
    };
    const text = summaryPt(partial, 'America/Sao_Paulo');
    expect(text).toContain('Foi eliminado 1 registro ao fim dos prazos de conservação');
    expect(text).toContain('1 registro de 1 titular');
    expect(text).toContain('As chaves de criptografia de 1 titular foram destruídas');
    expect(text).not.toContain('Foram eliminados 1');
  });

  it('stored by a sweep, verify; edited in the database, do not', async () => {
    const t = await createTestSigilo('sqlite');
    try {
      const { sigilo, clock } = t;
      await buildCustomer(sigilo, clock, {
        signedOn: '2026-11-26',
        ticketOpenedAt: '2027-01-08T14:00:00.000Z',
        ticketResolvedAt: '2027-01-10T12:00:00.000Z',
        endedOn: '2027-06-30',
      });
      clock.set('2029-02-01T00:00:00.000Z');
      const { certificateId } = await sigilo.retention.run();
      const auditor = ctx('auditor', null);
      expect(await sigilo.retention.certificates.verify(auditor, certificateId!)).toEqual({ ok: true });
      const row = await sigilo.store.db
        .selectFrom('deletion_certificates')
        .select('body')
        .where('id', '=', certificateId!)
        .executeTakeFirstOrThrow();
      await sigilo.store.db
        .updateTable('deletion_certificates')
        .set({ body: row.body.replace('"records":2', '"records":1') })
        .where('id', '=', certificateId!)
        .execute();
      expect(await sigilo.retention.certificates.verify(auditor, certificateId!)).toEqual({
        ok: false,
        problem: 'signature_invalid',
      });
    } finally {
      await t.cleanup();
    }
  });
});
