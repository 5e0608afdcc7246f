/** Where an item of personal data came from: every personal-data row carries these columns. */
export interface ProvenanceColumns {
  source: string;
  collected_at: string;
  legal_basis: string;
  policy_version: number;
}
