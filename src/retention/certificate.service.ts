/**
 * Deletion certificates as the outside world sees them: list, fetch (JSON plus the Portuguese summary) and verify
 * against Sigilo's signing key. Certificates hold counts and digests, never personal data, so the auditor may read
 * them too.
 */
import { SigiloError } from '../errors.ts';
import type { AccessContext } from '../gate/access-context.ts';
import { requireDuty } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Store } from '../store/store.ts';
import type { DeletionCertificateRow } from '../store/tables/retention.table.ts';
import {
  verifyCertificate,
  type CertificateBody,
  type DeletionCertificate,
  type VerifyResult,
} from './deletion-certificate.ts';

export interface CertificateSummary {
  id: string;
  runId: string;
  issuedAt: string;
  runStatus: CertificateBody['runStatus'];
  totals: CertificateBody['totals'];
  categories: string[];
}

function toCertificate(row: DeletionCertificateRow): DeletionCertificate {
  return {
    body: JSON.parse(row.body) as CertificateBody,
    canonical: row.body,
    signature: Buffer.from(row.signature).toString('base64'),
    publicKey: Buffer.from(row.public_key).toString('base64'),
    algorithm: 'Ed25519',
  };
}

/** Reads and verifies stored certificates. */
export class CertificateService {
  constructor(private readonly deps: { store: Store; policy: () => Policy; publicKey: () => Buffer }) {}

  /** Newest first. */
  async list(ctx: AccessContext, options: { limit?: number } = {}): Promise<CertificateSummary[]> {
    requireDuty(this.deps.policy(), ctx.role, 'certificate.read', 'read deletion certificates');
    const rows = await this.deps.store.db
      .selectFrom('deletion_certificates')
      .selectAll()
      .orderBy('issued_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(options.limit ?? 50, 1000))
      .execute();
    return rows.map((r) => {
      const b = JSON.parse(r.body) as CertificateBody;
      return {
        id: r.id,
        runId: r.run_id,
        issuedAt: r.issued_at,
        runStatus: b.runStatus,
        totals: b.totals,
        categories: b.entries.map((e) => e.category),
      };
    });
  }

  /** One certificate, exactly as signed. */
  async get(ctx: AccessContext, id: string): Promise<DeletionCertificate> {
    requireDuty(this.deps.policy(), ctx.role, 'certificate.read', 'read deletion certificates');
    const row = await this.deps.store.db
      .selectFrom('deletion_certificates')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new SigiloError('NOT_FOUND', 'certificate not found', { resource: 'certificate' });
    return toCertificate(row);
  }

  /** Verifies a stored certificate by id, or one given as exported JSON (e.g. a copy kept elsewhere). */
  async verify(ctx: AccessContext, idOrCertificate: string | DeletionCertificate): Promise<VerifyResult> {
    const cert = typeof idOrCertificate === 'string' ? await this.get(ctx, idOrCertificate) : idOrCertificate;
    requireDuty(this.deps.policy(), ctx.role, 'certificate.verify', 'verify deletion certificates');
    return verifyCertificate(cert, this.deps.publicKey());
  }
}
