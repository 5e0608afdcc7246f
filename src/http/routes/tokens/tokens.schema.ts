import { Type } from '@fastify/type-provider-typebox';
import { Id, StringEnum, Timestamp } from '../common.schema.ts';

const STATUSES = ['active', 'pending', 'rejected'] as const;

export const NewTokenBody = Type.Object(
  {
    role: Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        "A role of the published policy. The role's `issuance` decides: `admin` roles are issued at once, " +
        '`dpo_approval` roles are created pending until a DPO approves, other roles are refused.',
    }),
    label: Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        'What the token is for ("support desk 3"); not a person\'s name: labels appear in listings.',
    }),
    ttlDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 366,
        description: 'Default: SIGILO_TOKEN_TTL_DAYS. For a pending token it counts from the approval.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const TokenParams = Type.Object({ tokenId: Id });
export const TokenListQuery = Type.Object({
  all: Type.Optional(Type.Boolean({ description: 'Include revoked, expired and rejected tokens.' })),
  status: Type.Optional(
    StringEnum(STATUSES, { description: 'Only tokens in this state (`pending`: requests awaiting a DPO).' }),
  ),
});

export const TokenInfo = Type.Object({
  id: Id,
  role: Type.String(),
  label: Type.String(),
  status: StringEnum(STATUSES, {
    description: '`active`; `pending` until a DPO approves it; `rejected` (never valid).',
  }),
  createdBy: Type.String(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  decidedBy: Type.Union([Type.String(), Type.Null()], {
    description: 'The DPO who approved or rejected a pending token.',
  }),
  decidedAt: Type.Union([Timestamp, Type.Null()]),
  revokedAt: Type.Union([Timestamp, Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
});

export const CreatedToken = Type.Object({
  token: Type.String({
    description:
      'The bearer token. Shown only in this response: store it now. A pending token works once approved.',
  }),
  info: TokenInfo,
});

export const TokenList = Type.Object({ tokens: Type.Array(TokenInfo) });
