/** Who is calling: established once per request by the authentication hook. */
export interface Principal {
  /** Stable, non-personal id written to the access log (`token:<id>` or `oidc:<subject>`). */
  actor: string;
  /** A role of the published policy. */
  role: string;
  via: 'token' | 'oidc';
  /** When the credential stops being valid. */
  expiresAt: string | null;
  /** For a subject-bound role (the subject portal): the one data subject this request acts for. */
  actingForSubject?: string;
}

/** Verifies a presented bearer credential; throws SigiloError (UNAUTHENTICATED, TOKEN_EXPIRED, TOKEN_REVOKED). */
export type CredentialVerifier = (credential: string) => Promise<Principal>;
