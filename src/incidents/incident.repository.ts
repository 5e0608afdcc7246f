/** SQL over the plain columns the incident register needs beyond its own gated rows: data keys by master-key version. */
import { sql } from 'kysely';
import type { Tx } from '../store/store.ts';

/** The customer subjects whose data keys one master-key version wraps. */
export interface AffectedByKey {
  kekVersion: number;
  subjects: number;
  accounts: number;
  people: number;
}

export class IncidentRepository {
  /**
   * Subjects (accounts and people, not shredded) with at least one data key wrapped by master-key version
   * `kekVersion`: whoever holds that version and the database can open their data. Counts only, never ids.
   */
  async affectedByKeyVersion(db: Tx, kekVersion: number): Promise<AffectedByKey> {
    const rows = await db
      .selectFrom('data_keys as k')
      .innerJoin('subjects as s', 's.id', 'k.subject_id')
      .where('k.kek_version', '=', kekVersion)
      .where('s.kind', 'in', ['account', 'person'])
      .where('s.shredded_at', 'is', null)
      .select(['s.kind', sql<number>`count(distinct k.subject_id)`.as('n')])
      .groupBy('s.kind')
      .execute();
    const of = (kind: string): number => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
    return {
      kekVersion,
      subjects: of('account') + of('person'),
      accounts: of('account'),
      people: of('person'),
    };
  }

  /** Customer subjects (accounts and people) not shredded: whose data Sigilo's processing holds. */
  async customerSubjects(db: Tx): Promise<number> {
    const row = await db
      .selectFrom('subjects')
      .where('kind', 'in', ['account', 'person'])
      .where('shredded_at', 'is', null)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
