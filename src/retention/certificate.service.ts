/**
 * Deletion certificates as the outside world sees them: list, fetch (JSON plus the Portuguese summary) and verify
 * against Sigilo's signing key. Certificates hold counts and digests, never personal data, so the auditor may read
 * them too.
 */
import { SigiloError } from '../errors.ts';
import type { AccessContext } from '../gate/access-context.ts';
import type { Store } from '../store/store.ts';
import type { DeletionCertificateRow } from '../store/tables/retention.table.ts';
import {
  verifyCertificate,
  type CertificateBody,
  type DeletionCertificate,
  type VerifyResult,
} from './deletion-certificate.ts';

/** Roles that may read retention previews, runs and certificates (no personal data in any of them). */
export const RETENTION_READ_ROLES: readonly string[] = ['dpo', 'legal', 'auditor', 'admin'];

/** Throws ROLE_NOT_ALLOWED unless the context's role is one of `roles`. */
export function assertRetentionRole(ctx: AccessContext, roles: readonly string[], what: string): void {
  if (!roles.includes(ctx.role)) {
    throw new SigiloError('ROLE_NOT_ALLOWED', `role '${ctx.role}' may not ${what}`, { role: ctx.role });
  }
}

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
  constructor(private readonly deps: { store: Store; publicKey: () => Buffer }) {}

  /** Newest first. */
  async list(ctx: AccessContext, options: { limit?: number } = {}): Promise<CertificateSummary[]> {
    assertRetentionRole(ctx, RETENTION_READ_ROLES, 'read deletion certificates');
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
    assertRetentionRole(ctx, RETENTION_READ_ROLES, 'read deletion certificates');
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
    assertRetentionRole(ctx, RETENTION_READ_ROLES, 'verify deletion certificates');
    return verifyCertificate(cert, this.deps.publicKey());
  }
}
