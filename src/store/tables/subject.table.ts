import type { Insertable, Selectable } from 'kysely';

/** A data subject: the owner of one set of data keys (an account, a person, or an authority request's targets). */
export interface SubjectTable {
  id: string;
  kind: 'account' | 'person' | 'authority_request';
  created_at: string;
  shredded_at: string | null;
}
export type SubjectRow = Selectable<SubjectTable>;
export type NewSubjectRow = Insertable<SubjectTable>;
