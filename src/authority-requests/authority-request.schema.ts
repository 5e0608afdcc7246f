/**
 * The shapes of an authority request at the boundary (TypeBox): the intake an HTTP client or the CLI sends, and the
 * view returned. Routes and the service use the same schemas, so OpenAPI shows exactly what is checked.
 */
import { Type, type Static, type TSchema } from 'typebox';

/** Who may send a request (SPEC §7). */
export const AUTHORITY_TYPES = [
  'judge',
  'police_chief',
  'public_prosecutor',
  'administrative_authority',
  'anpd',
  'anatel',
] as const;
export type AuthorityType = (typeof AUTHORITY_TYPES)[number];

/** What is asked for. */
export const REQUEST_TYPES = [
  'cadastral',
  'connection_records',
  'access_records',
  'cdrs',
  'content',
  'preservation',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** The workflow (SPEC §7). */
export const REQUEST_STATES = [
  'received',
  'validating',
  'approved',
  'searching',
  'results_ready',
  'delivered',
  'closed',
  'rejected',
  'cancelled',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

function StringEnum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    ...(description ? { description } : {}),
  });
}

const Instant = Type.String({ maxLength: 40, description: 'An ISO-8601 instant with its offset.' });
const Ref = Type.String({ minLength: 1, maxLength: 200 });

/** One specific target; anything collective is refused (Decreto 8.771/2016 Art. 11 §3). */
export const Target = Type.Union([
  Type.Object(
    { kind: Type.Literal('number'), value: Type.String({ minLength: 1, maxLength: 40 }) },
    { additionalProperties: false, description: 'A telephone number (E.164 or Brazilian national form).' },
  ),
  Type.Object(
    { kind: Type.Literal('account'), id: Type.String({ minLength: 1, maxLength: 100 }) },
    { additionalProperties: false, description: 'A customer account id.' },
  ),
  Type.Object(
    { kind: Type.Literal('tax_id'), value: Type.String({ minLength: 1, maxLength: 40 }) },
    { additionalProperties: false, description: 'A CPF or CNPJ.' },
  ),
  Type.Object(
    {
      kind: Type.Literal('ip'),
      ip: Type.String({ minLength: 1, maxLength: 64 }),
      port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
      at: Instant,
    },
    {
      additionalProperties: false,
      description: 'A public IP address, source port and instant (CGNAT attribution).',
    },
  ),
]);
export type TargetInput = Static<typeof Target>;

export const DeliveryContact = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    address: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, description: 'Whom the answer is delivered to (sealed).' },
);

export const OrderDocument = Type.Object(
  {
    contentType: StringEnum(['application/pdf', 'image/png', 'image/jpeg', 'text/plain'] as const),
    /** Base64 of the document, at most 5 MiB once decoded. */
    base64: Type.String({ minLength: 1, maxLength: 7_000_000 }),
  },
  { additionalProperties: false, description: 'A copy of the order (sealed).' },
);

/** What an intake carries. */
export const NewAuthorityRequest = Type.Object(
  {
    externalReference: Type.String({
      minLength: 1,
      maxLength: 120,
      description: 'Inquiry, process or warrant number, as the authority writes it.',
    }),
    country: Type.Optional(
      Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166 country; default BR.' }),
    ),
    authority: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200, description: 'The court, police unit or body.' }),
        type: StringEnum(AUTHORITY_TYPES),
      },
      { additionalProperties: false },
    ),
    legalBasis: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'The statute the authority cites.',
    }),
    courtOrderRef: Type.Optional(Ref),
    document: Type.Optional(OrderDocument),
    requestTypes: Type.Array(StringEnum(REQUEST_TYPES), { minItems: 1, maxItems: 6, uniqueItems: true }),
    targets: Type.Array(Target, { maxItems: 1000 }),
    window: Type.Optional(
      Type.Object(
        { from: Type.Optional(Instant), to: Type.Optional(Instant) },
        { additionalProperties: false },
      ),
    ),
    categories: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20, uniqueItems: true }),
    ),
    deadline: Instant,
    urgent: Type.Optional(Type.Boolean()),
    secret: Type.Optional(Type.Boolean({ description: 'Legal secrecy: hidden from the subjects’ views.' })),
    contact: Type.Optional(DeliveryContact),
    /** When the authority made the request (a preservation's 60 days count from here); default now. */
    requestedAt: Type.Optional(Instant),
  },
  { additionalProperties: false },
);
export type NewAuthorityRequestInput = Static<typeof NewAuthorityRequest>;

export const Decision = Type.Object(
  {
    reasons: Type.String({ minLength: 1, maxLength: 2000, description: 'Why; recorded in the access log.' }),
  },
  { additionalProperties: false },
);

/** A request as the legal team sees it (targets only when asked for, through the gate). */
export const AuthorityRequestView = Type.Object({
  id: Type.String(),
  requestId: Type.Object({ country: Type.String(), authority: Type.String(), number: Type.String() }),
  authority: Type.Object({ name: Type.String(), type: Type.String() }),
  legalBasis: Type.String(),
  courtOrderRef: Type.Union([Type.String(), Type.Null()]),
  requestTypes: Type.Array(Type.String()),
  categories: Type.Array(Type.String()),
  targetCount: Type.Integer(),
  window: Type.Object({
    from: Type.Union([Type.String(), Type.Null()]),
    to: Type.Union([Type.String(), Type.Null()]),
  }),
  deadline: Type.String(),
  overdue: Type.Boolean(),
  urgent: Type.Boolean(),
  secret: Type.Boolean(),
  state: StringEnum(REQUEST_STATES),
  holdIds: Type.Array(Type.String()),
  hasDocument: Type.Boolean(),
  packageSha256: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Type.String(),
  approvedBy: Type.Union([Type.String(), Type.Null()]),
  approvedAt: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
  closedAt: Type.Union([Type.String(), Type.Null()]),
});
export type AuthorityRequestViewOut = Static<typeof AuthorityRequestView>;

/** For schemas that embed these in routes. */
export type AnySchema = TSchema;
