/**
 * The vocabulary of data-subject requests (LGPD Arts. 18–19): types, states, channels, verification methods,
 * representatives and the coded reasons for refusals and extensions. Codes, never free text: a reason a person
 * types could carry personal data into a plain column, and the report renders each code in Portuguese.
 */

/** What the subject asks for (LGPD Art. 18 I–IX, Art. 19, and the Anatel caller identification). */
export const REQUEST_TYPES = [
  'confirmation', // Art. 18 I — simplified, immediately (Art. 19 I)
  'access_simplified', // Art. 18 II, Art. 19 I — immediately
  'access_complete', // Art. 18 II, Art. 19 II — complete declaration within 15 days
  'correction', // Art. 18 III
  'anonymisation', // Art. 18 IV
  'blocking', // Art. 18 IV
  'deletion', // Art. 18 IV and VI
  'portability', // Art. 18 V
  'sharing_information', // Art. 18 VII
  'consent_refusal_information', // Art. 18 VIII
  'revocation', // Art. 18 IX
  'access_history', // who accessed the subject's data, when and why (SPEC §5)
  'caller_identification', // Anatel consumer rules: name and CPF/CNPJ of the line that called
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** Types the law answers at once (Art. 19 I): the deadline is the moment the request is received. */
export const IMMEDIATE_TYPES: ReadonlySet<RequestType> = new Set(['confirmation', 'access_simplified']);

export const REQUEST_STATES = [
  'received',
  'identity_verified',
  'in_progress',
  'answered',
  'refused',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** States in which the clock still runs. */
export const OPEN_STATES: readonly RequestState[] = ['received', 'identity_verified', 'in_progress'];

/** The transitions a request may take; anything else is REQUEST_STATE_CONFLICT. */
export const TRANSITIONS: Record<RequestState, readonly RequestState[]> = {
  received: ['identity_verified', 'refused'],
  identity_verified: ['in_progress', 'answered', 'refused'],
  in_progress: ['answered', 'refused'],
  answered: [],
  refused: [],
};

export const CHANNELS = ['portal', 'email', 'phone', 'letter', 'in_person'] as const;
export type RequestChannel = (typeof CHANNELS)[number];

/**
 * How identity was verified. A phone number or e-mail address the requester merely states is not among them: a
 * code must have been confirmed on a contact point already on file for the subject, or a person checked a
 * document, or the subject was signed in to the portal.
 */
export const VERIFICATION_METHODS = ['portal_session', 'email_code', 'phone_code', 'document_check'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export const DOCUMENT_KINDS = ['rg', 'cnh', 'passport', 'rne', 'cpf_card', 'company_registration'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** Someone acting for the subject (LGPD Art. 18 caput: "mediante requisição expressa do titular ou de representante"). */
export const REPRESENTATIVE_KINDS = ['legal_guardian', 'attorney', 'company_contact'] as const;
export type RepresentativeKind = (typeof REPRESENTATIVE_KINDS)[number];

export const PROOF_KINDS = [
  'power_of_attorney',
  'guardianship_document',
  'birth_certificate',
  'company_bylaws',
  'account_contact_record',
] as const;
export type ProofKind = (typeof PROOF_KINDS)[number];

/**
 * What a correction request (Art. 18 III) may name as wrong: one stored item of the subject. The corrected value
 * is not kept in the request (a plain table): the DPO enters it when applying the correction through the services.
 */
export const CORRECTION_ITEMS = ['person_name', 'phone', 'email', 'postal_address'] as const;
export type CorrectionItem = (typeof CORRECTION_ITEMS)[number];

/** Why a request was refused (LGPD Art. 18 §4). */
export const REFUSAL_REASONS = [
  'identity_not_confirmed',
  'not_controller', // Art. 18 §4 I — the provider is not the controller; the answer names who is, if known
  'legal_impediment', // Art. 18 §4 II — reasons of fact or law that prevent the measure
  'no_data_held',
  'duplicate_request',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Why a deadline was extended. */
export const EXTENSION_REASONS = [
  'volume_of_records',
  'complexity',
  'third_party_information',
  'representative_proof_pending',
] as const;
export type ExtensionReason = (typeof EXTENSION_REASONS)[number];

/** The longest single extension, in calendar days. */
export const EXTENSION_MAX_DAYS = 15;

/** How many days ahead `due=due_soon` looks. */
export const DUE_SOON_DAYS = 3;
