/**
 * All SQL of data-subject requests. The request table holds no personal data, so the service reads it directly; the
 * history's details are sealed and go through src/subject-requests/sealing. Each request row carries a record MAC
 * (whose request it is, what it asks, its state and dates): written with every insert and change here, checked on
 * every read here, so a request edited with SQL is an INTEGRITY_ERROR naming it, logged.
 */
import { SigiloError } from '../errors.ts';
import { readAccountLinks } from '../gate/account-links.ts';
import type { GateSession } from '../gate/gate.ts';
import type { Db, Tx } from '../store/store.ts';
import type { NewSubjectRequestRow, SubjectRequestRow } from '../store/tables/subject-request.table.ts';
import {
  changingOpenRequests,
  checkOpenRequests,
  checkRecords,
  requestMac,
} from './sealing/subject-request.gate.ts';
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
  /** Inserts a request (with its MAC), and moves the head over the open requests. */
  async insert(s: GateSession, row: Omit<NewSubjectRequestRow, 'row_mac'>): Promise<void> {
    await changingOpenRequests(s, async () =>
      s.tx
        .insertInto('subject_requests')
        .values({ ...row, row_mac: await requestMac(s, row) })
        .execute(),
    );
  }

  /** One request, or undefined; INTEGRITY_ERROR (logged) when its row does not verify. */
  async get(s: GateSession, id: string): Promise<SubjectRequestRow | undefined> {
    const row = await s.tx.selectFrom('subject_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (row) await checkRecords(s, 'subject_requests', [row]);
    return row;
  }

  /**
   * Changes a request, but only while it is still in `expected` state (a concurrent step loses); the row is
   * checked first and its MAC rewritten with the change.
   */
  async update(
    s: GateSession,
    id: string,
    expected: RequestState,
    set: Partial<Omit<SubjectRequestRow, 'id' | 'subject_id' | 'created_at' | 'created_by' | 'row_mac'>>,
  ): Promise<boolean> {
    const current = await this.get(s, id);
    if (!current) throw new SigiloError('NOT_FOUND', 'request not found', { resource: 'subject_request' });
    if (current.state !== expected) return false;
    const row_mac = await requestMac(s, { ...current, ...set });
    // Every change rewrites the MAC, so the head over the open requests moves with it.
    const r = await changingOpenRequests(s, () =>
      s.tx
        .updateTable('subject_requests')
        .set({ ...set, row_mac })
        .where('id', '=', id)
        .where('state', '=', expected)
        .executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) === 1;
  }

  /** Requests matching the filter, soonest deadline first; each checked (INTEGRITY_ERROR, logged). */
  async list(s: GateSession, f: ListFilter): Promise<SubjectRequestRow[]> {
    let q = s.tx.selectFrom('subject_requests').selectAll();
    if (f.subjectId) q = q.where('subject_id', '=', f.subjectId);
    if (f.states) q = q.where('state', 'in', [...f.states]);
    if (f.dueBefore) q = q.where('due_at', '<=', f.dueBefore);
    if (f.dueAfter) q = q.where('due_at', '>', f.dueAfter);
    const rows = await q.orderBy('due_at').orderBy('id').limit(f.limit).execute();
    await checkRecords(s, 'subject_requests', rows);
    // Staff listings (the DPO's deadlines) would not show a request deleted outright: the open set is checked whole.
    if (!f.subjectId) await checkOpenRequests(s);
    return rows;
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

  /** How a person is linked to an account, if at all (the link checked: it decides who may ask for what). */
  async relation(s: GateSession, accountId: string, personId: string): Promise<string | undefined> {
    const [link] = await readAccountLinks(s, { accounts: [accountId], people: [personId] });
    return link?.relation;
  }
}
