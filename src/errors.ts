/**
 * The one error type of Sigilo. Every failure a caller can see carries a stable `code` from `ERROR_CODES`;
 * `docs/errors.md` lists the same codes and a test fails when the two drift.
 */

/** Every error code, with the HTTP status it maps to and a one-line meaning (mirrored in docs/errors.md). */
export const ERROR_CODES = {
  // Input and identifiers
  VALIDATION_FAILED: {
    status: 400,
    meaning: 'The input does not match the expected shape; details name the field.',
  },
  INVALID_CPF: { status: 400, meaning: 'A CPF is malformed or its check digits are wrong.' },
  INVALID_CNPJ: {
    status: 400,
    meaning: 'A CNPJ (numeric or alphanumeric) is malformed or its check digits are wrong.',
  },
  INVALID_TAX_ID: { status: 400, meaning: 'A document is neither a valid CPF nor a valid CNPJ.' },
  INVALID_PHONE: { status: 400, meaning: 'A phone number cannot be read as a valid E.164 number.' },
  INVALID_EMAIL: { status: 400, meaning: 'An e-mail address is not valid.' },
  INVALID_CEP: { status: 400, meaning: 'A CEP is not eight digits.' },
  INVALID_IP: { status: 400, meaning: 'An IP address is neither valid IPv4 nor IPv6.' },
  INVALID_ADDRESS: { status: 400, meaning: 'A postal address is incomplete or has an invalid state (UF).' },
  CATEGORY_NOT_DECLARED: {
    status: 400,
    meaning: 'The data category is not declared in the published policy.',
  },
  SENSITIVE_DATA_DETECTED: {
    status: 422,
    meaning:
      'A free-text field contains personal or sensitive data the policy rejects there; details name the field and the classes, never the text.',
  },

  // Policy
  POLICY_INVALID: {
    status: 400,
    meaning: 'The policy document fails validation; details list each path and problem.',
  },
  POLICY_SENSITIVE_CATEGORY: {
    status: 400,
    meaning: 'The policy declares a sensitive category (LGPD Art. 11), which Sigilo refuses to store.',
  },
  POLICY_NOT_FOUND: { status: 404, meaning: 'No policy version with that number exists.' },
  SECOND_APPROVAL_REQUIRED: {
    status: 403,
    meaning:
      'A policy version that loosens protection must be approved by a DPO other than the one who proposed it.',
  },

  // Access and purpose
  UNAUTHENTICATED: { status: 401, meaning: 'No valid credentials were presented.' },
  TOKEN_EXPIRED: { status: 401, meaning: 'The bearer token has expired.' },
  TOKEN_REVOKED: { status: 401, meaning: 'The bearer token was revoked.' },
  TOKEN_NOT_APPROVED: {
    status: 401,
    meaning: "The bearer token's role needs a DPO's approval, which it is still waiting for or was refused.",
  },
  PURPOSE_REQUIRED: { status: 400, meaning: 'A personal-data operation was attempted without a purpose.' },
  PURPOSE_UNKNOWN: { status: 400, meaning: 'The purpose is not declared in the published policy.' },
  PURPOSE_NOT_ALLOWED: {
    status: 403,
    meaning: 'The policy does not allow this role to use this purpose on this data category and operation.',
  },
  PURPOSE_NOT_DECLARED_AT_COLLECTION: {
    status: 403,
    meaning:
      'The record was collected under a policy version that did not declare this purpose, and the version in force does not apply it to existing data (LGPD Art. 9 §2).',
  },
  ROLE_NOT_ALLOWED: { status: 403, meaning: 'The role may not use this operation at all.' },
  ROLE_NOT_ISSUABLE: {
    status: 403,
    meaning:
      "The policy does not let this role's tokens be issued this way, only by the server's CLI or the IdP.",
  },
  SECOND_APPROVER_REQUIRED: {
    status: 403,
    meaning: 'A token request must be approved or rejected by someone other than its requester.',
  },

  // Storage and crypto
  NOT_FOUND: { status: 404, meaning: 'The record does not exist.' },
  CONFLICT: { status: 409, meaning: 'The record already exists or was changed concurrently.' },
  INTEGRITY_ERROR: {
    status: 500,
    meaning:
      'A ciphertext or row MAC failed: altered bytes, moved to another row, owner, period or key version, MAC NULL, not bytes.',
  },
  SUBJECT_SHREDDED: {
    status: 410,
    meaning: "The subject's data keys were destroyed; the data can no longer be read.",
  },
  KEY_FILE_MISSING: { status: 500, meaning: 'The master key file does not exist; run `sigilo init`.' },
  KEY_FILE_INSECURE: { status: 500, meaning: 'The master key file is readable or writable by other users.' },
  KEY_FILE_INVALID: { status: 500, meaning: 'The master key file cannot be parsed.' },
  DATA_DIR_INSECURE: {
    status: 500,
    meaning: "The data directory (or the key file's directory) is writable by group or others.",
  },
  KEY_NOT_FOUND: {
    status: 500,
    meaning: 'A wrapped key refers to a master-key version the key provider does not have.',
  },
  NOT_INITIALISED: { status: 500, meaning: 'The data directory or database has not been initialised.' },

  // Data-subject requests
  IDENTITY_NOT_VERIFIED: {
    status: 403,
    meaning:
      "The subject's identity has not been verified for this request; nothing is released before it is.",
  },
  PROCESSING_BLOCKED: {
    status: 403,
    meaning:
      "The subject's data of this category are blocked at their request (LGPD Art. 18 IV): kept, but used only for legal obligations and the defence of rights.",
  },
  VERIFICATION_INSUFFICIENT: {
    status: 400,
    meaning:
      'The verification offered does not prove identity: the contact point is not on file for the subject, or proof is missing.',
  },
  REQUEST_STATE_CONFLICT: {
    status: 409,
    meaning: 'The request is not in a state that allows this step (for example answering a refused request).',
  },

  // Access log
  AUDIT_CHAIN_BROKEN: {
    status: 500,
    meaning: 'Access-log verification found an edited, deleted or reordered entry.',
  },

  // Authority requests (SPEC §7; details.rule and details.legalSource name the rule)
  AUTHORITY_COURT_ORDER_REQUIRED: {
    status: 422,
    meaning:
      'Connection or access records, call records and content are released only by court order (Marco Civil Arts. 10 §1, 13, 15, 22; Lei 9.296/1996).',
  },
  AUTHORITY_NOT_COMPETENT: {
    status: 422,
    meaning:
      'Cadastral data without a court order goes only to authorities the law names (Lei 12.850/2013 Art. 15; Lei 9.613/1998 Art. 17-B; Marco Civil Art. 10 §3).',
  },
  AUTHORITY_TARGET_GENERIC: {
    status: 422,
    meaning:
      'A generic or collective target (wildcard, range, prefix, an IP without its instant) is refused (Decreto 8.771/2016 Art. 11 §3).',
  },
  AUTHORITY_WINDOW_NOT_RETAINED: {
    status: 422,
    meaning:
      'The time window lies wholly before what the retention rules keep; details give the earliest retained instant per category.',
  },
  AUTHORITY_FOUR_EYES: {
    status: 403,
    meaning:
      'An authority request is approved or rejected by a second legal staff member, never by its creator.',
  },
  AUTHORITY_REQUEST_STATE: {
    status: 409,
    meaning: "The authority request's state does not allow this step; details give the state.",
  },
  EXPORT_UNREADABLE: {
    status: 400,
    meaning: 'The export package cannot be opened: not a Sigilo export, or the wrong key or passphrase.',
  },

  // Configuration and generic
  CONFIG_INVALID: { status: 500, meaning: 'A configuration value is invalid; the message names it.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The request body is larger than the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'The request body has a content type the route does not accept (send application/json).',
  },
  ROUTE_NOT_FOUND: { status: 404, meaning: 'No route matches this method and path.' },

  // The HTTP request itself (refused before any route runs)
  MALFORMED_REQUEST: {
    status: 400,
    meaning:
      'The request is not valid HTTP: bad bytes or percent-encoding in the URL or a header, conflicting framing or no Host.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    meaning:
      'The request headers or body did not arrive within the configured time; the connection is closed.',
  },
  URI_TOO_LONG: {
    status: 414,
    meaning: 'The URL, or one segment of its path, is longer than the server accepts.',
  },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'The request headers are larger than the server accepts.' },
  NOT_READY: { status: 503, meaning: 'The server cannot reach its database; retry later.' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests; retry after the indicated time.' },
  INTERNAL_ERROR: { status: 500, meaning: 'An unexpected error; the response carries only the request id.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A failure with a stable code; `details` must never hold personal data or secrets. */
export class SigiloError extends Error {
  override readonly name = 'SigiloError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The wire shape `{ error: { code, message, details } }`. */
  toJSON(): { error: { code: ErrorCode; message: string; details: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** True when `err` is a SigiloError, optionally of the given code. */
export function isSigiloError(err: unknown, code?: ErrorCode): err is SigiloError {
  return err instanceof SigiloError && (code === undefined || err.code === code);
}
