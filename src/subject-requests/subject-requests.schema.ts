/** Wire schemas of /v1/subject-requests (TypeBox; OpenAPI is generated from them). */
import { Type } from '@fastify/type-provider-typebox';
import { Id, StringEnum, Timestamp } from '../http/routes/common.schema.ts';
import { LIFT_REASONS } from './subject-restriction.ts';
import {
  CHANNELS,
  CORRECTION_ITEMS,
  DOCUMENT_KINDS,
  EXTENSION_MAX_DAYS,
  EXTENSION_REASONS,
  PROOF_KINDS,
  REFUSAL_REASONS,
  REPRESENTATIVE_KINDS,
  REQUEST_STATES,
  REQUEST_TYPES,
} from './subject-request.model.ts';

const Reference = Type.String({
  minLength: 1,
  maxLength: 80,
  description:
    "A reference into the DPO's file (a protocol number), never a document number or personal data.",
});

const RepresentativeSchema = Type.Object(
  {
    kind: StringEnum(REPRESENTATIVE_KINDS),
    personId: Type.Optional(Id),
    proof: Type.Object(
      { kind: StringEnum(PROOF_KINDS), reference: Reference },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const NewRequestBody = Type.Object(
  {
    subjectId: Id,
    type: StringEnum(REQUEST_TYPES),
    channel: StringEnum(CHANNELS),
    receivedAt: Type.Optional(Timestamp),
    representative: Type.Optional(RepresentativeSchema),
    callerIdentification: Type.Optional(
      Type.Object(
        {
          lineContactPointId: Type.String({
            format: 'uuid',
            description: "The requester's own phone contact point that received the call.",
          }),
          calledAt: Timestamp,
        },
        { additionalProperties: false },
      ),
    ),
    correction: Type.Optional(
      Type.Object(
        {
          items: Type.Array(
            Type.Object(
              { item: StringEnum(CORRECTION_ITEMS), id: Type.String({ format: 'uuid' }) },
              { additionalProperties: false },
            ),
            {
              minItems: 1,
              maxItems: 20,
              description:
                'The stored items the subject says are wrong (the new values are entered when applied).',
            },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const CorrectionBody = Type.Object(
  {
    changes: Type.Array(
      Type.Object(
        {
          item: StringEnum(CORRECTION_ITEMS),
          id: Type.String({ format: 'uuid' }),
          value: Type.Unknown({
            description: 'The corrected value: a name, phone, e-mail or postal address.',
          }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
  },
  { additionalProperties: false },
);

export const CorrectionAnswer = Type.Object({
  corrected: Type.Array(
    Type.Object({
      item: StringEnum(CORRECTION_ITEMS),
      id: Id,
      newId: Type.Union([Id, Type.Null()], {
        description: 'The item that replaces it, when it was replaced.',
      }),
      statement: Type.String(),
    }),
  ),
});

export const RestrictionAnswerSchema = Type.Object({
  shredded: Type.Boolean(),
  categories: Type.Array(
    Type.Object({
      category: Type.String(),
      outcome: StringEnum(['necessary', 'kept', 'anonymised', 'expired', 'blocked'] as const),
      purposes: Type.Array(Type.String()),
      rule: Type.Union([Type.String(), Type.Null()]),
      source: Type.Union([Type.String(), Type.Null()]),
      until: Type.Union([Timestamp, Type.Null()]),
      statement: Type.String(),
    }),
  ),
});

export const BlockLiftBody = Type.Object(
  {
    reason: StringEnum(LIFT_REASONS, {
      description:
        'subject_asked: the subject asked to lift it; reason_ended: the data are no longer unnecessary.',
    }),
    categories: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), {
        minItems: 1,
        maxItems: 50,
        description: 'The categories to lift (default: every block of the request).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const BlockLiftAnswer = Type.Object({
  lifted: Type.Array(
    Type.Object({
      category: Type.String(),
      blockedAt: Timestamp,
      liftedAt: Timestamp,
      statement: Type.String({ description: 'What the answer says about the category, in Portuguese.' }),
    }),
  ),
  stillBlocked: Type.Array(Type.String(), { description: "The subject's categories still blocked." }),
});

export const VerificationBody = Type.Union([
  Type.Object(
    { method: Type.Literal('portal_session'), sessionRef: Reference },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      method: StringEnum(['email_code', 'phone_code'] as const),
      contactPointId: Type.String({ format: 'uuid' }),
      codeReference: Reference,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      method: Type.Literal('document_check'),
      documentKind: StringEnum(DOCUMENT_KINDS),
      reference: Reference,
    },
    { additionalProperties: false },
  ),
]);

export const ExtensionBody = Type.Object(
  {
    days: Type.Integer({ minimum: 1, maximum: EXTENSION_MAX_DAYS }),
    reason: StringEnum(EXTENSION_REASONS),
  },
  { additionalProperties: false },
);

export const RefusalBody = Type.Object(
  { reason: StringEnum(REFUSAL_REASONS) },
  { additionalProperties: false },
);

export const RequestParams = Type.Object({ requestId: Id });

export const ListQuery = Type.Object(
  {
    due: Type.Optional(StringEnum(['overdue', 'due_soon'] as const)),
    state: Type.Optional(StringEnum(REQUEST_STATES)),
    subjectId: Type.Optional(Id),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

export const SubjectRequest = Type.Object({
  id: Id,
  subjectId: Id,
  type: StringEnum(REQUEST_TYPES),
  state: StringEnum(REQUEST_STATES),
  channel: StringEnum(CHANNELS),
  receivedAt: Timestamp,
  dueAt: Timestamp,
  originalDueAt: Timestamp,
  due: StringEnum(['overdue', 'due_soon', 'on_time', 'closed'] as const),
  extension: Type.Union([Type.Object({ reason: Type.String(), extendedAt: Timestamp }), Type.Null()]),
  verification: Type.Union([
    Type.Object({
      method: Type.String(),
      evidence: Type.Record(Type.String(), Type.String()),
      verifiedAt: Timestamp,
      verifiedBy: Type.String(),
    }),
    Type.Null(),
  ]),
  representative: Type.Union([RepresentativeSchema, Type.Null()]),
  params: Type.Record(Type.String(), Type.Unknown()),
  refusalReason: Type.Union([Type.String(), Type.Null()]),
  answeredAt: Type.Union([Timestamp, Type.Null()]),
  answer: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

export const RequestWithHistory = Type.Object({
  request: SubjectRequest,
  history: Type.Array(
    Type.Object({
      kind: Type.String(),
      at: Timestamp,
      actor: Type.String(),
      role: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});

export const RequestList = Type.Object({ requests: Type.Array(SubjectRequest) });

export const HistoryEntrySchema = Type.Object({
  at: Timestamp,
  actor: Type.String({ description: 'Stable pseudonym (keyed hash) of who acted; never a name.' }),
  role: Type.String(),
  roleLabel: Type.String(),
  purpose: Type.Union([Type.String(), Type.Null()]),
  purposeLabel: Type.Union([Type.String(), Type.Null()]),
  legalBasis: Type.Union([Type.String(), Type.Null()]),
  categories: Type.Array(Type.String()),
  operation: Type.String(),
});

export const AccessHistory = Type.Object({ entries: Type.Array(HistoryEntrySchema) });

export const InformationAnswer = Type.Object({
  type: StringEnum(REQUEST_TYPES),
  answer: Type.Record(Type.String(), Type.Unknown()),
});

export const ReportQuery = Type.Object(
  { format: Type.Optional(StringEnum(['pdf', 'html'] as const)) },
  { additionalProperties: false },
);

export const DeletionAnswer = Type.Object({
  shredded: Type.Boolean({
    description: "True when nothing had to be kept and the subject's keys were destroyed.",
  }),
  categories: Type.Array(
    Type.Object({
      category: Type.String(),
      outcome: StringEnum(['deleted', 'kept', 'expired'] as const),
      rule: Type.Union([Type.String(), Type.Null()]),
      source: Type.Union([Type.String(), Type.Null()]),
      until: Type.Union([Timestamp, Type.Null()]),
    }),
  ),
});
