/** Where a stored item came from (SPEC §1): shown with every record a service returns. */
export interface Provenance {
  source: string;
  collectedAt: string;
  legalBasis: string;
  policyVersion: number;
}

/** Sources a caller may declare for newly collected data. */
export const SOURCES = [
  'contracting',
  'support_contact',
  'network_platform',
  'import',
  'subject_portal',
  'staff',
  // A correction the subject asked for (LGPD Art. 18 III), applied by the DPO.
  'subject_request',
] as const;
export type Source = (typeof SOURCES)[number];

/** Reads the provenance columns out of a gate row's plain part. */
export function provenanceOf(plain: Record<string, unknown>): Provenance {
  return {
    source: plain.source as string,
    collectedAt: plain.collected_at as string,
    legalBasis: plain.legal_basis as string,
    policyVersion: Number(plain.policy_version),
  };
}
