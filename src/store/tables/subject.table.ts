import type { Insertable, Selectable } from 'kysely';

/** A data subject: the owner of one set of data keys (an account, a person, an authority request's targets, or a security incident's register entry). */
export interface SubjectTable {
  id: string;
  kind: 'account' | 'person' | 'authority_request' | 'security_incident';
  created_at: string;
  shredded_at: string | null;
}
export type SubjectRow = Selectable<SubjectTable>;
export type NewSubjectRow = Insertable<SubjectTable>;
