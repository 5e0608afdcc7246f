import type { Db, Tx } from '../store/store.ts';

export interface StoredPolicyVersion {
  version: number;
  effectiveDate: string;
  document: string;
  documentHash: string;
  publishedAt: string;
  publishedBy: string;
}

/** SQL for published policy versions (insert and read only: a published version is never changed). */
export class PolicyVersionRepository {
  async latest(db: Db | Tx): Promise<StoredPolicyVersion | undefined> {
    const row = await db
      .selectFrom('policy_versions')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async get(db: Db | Tx, version: number): Promise<StoredPolicyVersion | undefined> {
    const row = await db
      .selectFrom('policy_versions')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async list(db: Db | Tx): Promise<Omit<StoredPolicyVersion, 'document'>[]> {
    const rows = await db
      .selectFrom('policy_versions')
      .select(['version', 'effective_date', 'document_hash', 'published_at', 'published_by'])
      .orderBy('version')
      .execute();
    return rows.map((r) => ({
      version: r.version,
      effectiveDate: r.effective_date,
      documentHash: r.document_hash,
      publishedAt: r.published_at,
      publishedBy: r.published_by,
    }));
  }

  /** Every version's number and document, oldest first. */
  async documents(db: Db | Tx): Promise<{ version: number; document: string }[]> {
    return db.selectFrom('policy_versions').select(['version', 'document']).orderBy('version').execute();
  }

  async insert(tx: Tx, v: StoredPolicyVersion): Promise<void> {
    await tx
      .insertInto('policy_versions')
      .values({
        version: v.version,
        effective_date: v.effectiveDate,
        document: v.document,
        document_hash: v.documentHash,
        published_at: v.publishedAt,
        published_by: v.publishedBy,
      })
      .execute();
  }
}

function fromRow(r: {
  version: number;
  effective_date: string;
  document: string;
  document_hash: string;
  published_at: string;
  published_by: string;
}): StoredPolicyVersion {
  return {
    version: r.version,
    effectiveDate: r.effective_date,
    document: r.document,
    documentHash: r.document_hash,
    publishedAt: r.published_at,
    publishedBy: r.published_by,
  };
}
