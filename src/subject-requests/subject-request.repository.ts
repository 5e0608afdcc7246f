/**
 * All SQL of data-subject requests. The request table holds no personal data, so the service reads it directly; the
 * history's details are sealed and go through src/subject-requests/sealing.
 */
import type { Db, Tx } from '../store/store.ts';
import type { NewSubjectRequestRow, SubjectRequestRow } from '../store/tables/subject-request.table.ts';
import type { RequestState } from './subject-request.model.ts';

export interface ListFilter {
  subjectId?: string;
  states?: readonly RequestState[];
  /** Only requests due before this instant (inclusive). */
  dueBefore?: string;
  /** Only requests due after this instant (exclusive). */
  dueAfter?: string;
  limit: number;
}

export class SubjectRequestRepository {
  /** Inserts a request. */
  async insert(tx: Tx, row: NewSubjectRequestRow): Promise<void> {
    await tx.insertInto('subject_requests').values(row).execute();
  }

  /** One request, or undefined. */
  async get(db: Tx | Db, id: string): Promise<SubjectRequestRow | undefined> {
    return db.selectFrom('subject_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Changes a request, but only while it is still in `expected` state (a concurrent step loses). */
  async update(
    tx: Tx,
    id: string,
    expected: RequestState,
    set: Partial<Omit<SubjectRequestRow, 'id' | 'subject_id' | 'created_at' | 'created_by'>>,
  ): Promise<boolean> {
    const r = await tx
      .updateTable('subject_requests')
      .set(set)
      .where('id', '=', id)
      .where('state', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Requests matching the filter, soonest deadline first. */
  async list(db: Tx | Db, f: ListFilter): Promise<SubjectRequestRow[]> {
    let q = db.selectFrom('subject_requests').selectAll();
    if (f.subjectId) q = q.where('subject_id', '=', f.subjectId);
    if (f.states) q = q.where('state', 'in', [...f.states]);
    if (f.dueBefore) q = q.where('due_at', '<=', f.dueBefore);
    if (f.dueAfter) q = q.where('due_at', '>', f.dueAfter);
    return q.orderBy('due_at').orderBy('id').limit(f.limit).execute();
  }

  /** The kind of a subject, or undefined when it does not exist. */
  async subjectKind(db: Tx | Db, subjectId: string): Promise<'account' | 'person' | undefined> {
    const row = await db.selectFrom('subjects').select('kind').where('id', '=', subjectId).executeTakeFirst();
    // An authority request's or an incident's key holder is not a data subject who can make a request.
    return row?.kind === 'account' || row?.kind === 'person' ? row.kind : undefined;
  }

  /** A contact point's owner and kind (plain columns only; the value stays sealed). */
  async contactPoint(
    db: Tx | Db,
    id: string,
  ): Promise<{ person_id: string; kind: 'phone' | 'email' | 'ip' } | undefined> {
    return db
      .selectFrom('contact_points')
      .select(['person_id', 'kind'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** How a person is linked to an account, if at all. */
  async relation(db: Tx | Db, accountId: string, personId: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('account_people')
      .select('relation')
      .where('account_id', '=', accountId)
      .where('person_id', '=', personId)
      .executeTakeFirst();
    return row?.relation;
  }
}
