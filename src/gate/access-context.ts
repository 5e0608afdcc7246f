/** Who is touching personal data, in which role, for which declared purpose, and why: passed to every gate call. */
export interface AccessContext {
  /** Stable id of the staff member, service token or platform (never a name or e-mail). */
  actor: string;
  role: string;
  /** A purpose id from the published policy; null means the caller did not state one (always refused). */
  purpose: string | null;
  /** Free-text reason given by the person (for example a ticket number); kept in the access log. */
  justification?: string | null;
  requestId: string;
  /**
   * Every entry this context writes is under legal secrecy (the steps of a secret authority request): hidden from
   * the subjects' sharing and access-history views, never from the auditor.
   */
  legalSecrecy?: boolean;
  /**
   * Set for a subject-bound role (the subject portal): the one data subject this access acts for. The gate then
   * refuses anything that is not that subject's own, as "not found".
   */
  actingForSubject?: string | null;
}
