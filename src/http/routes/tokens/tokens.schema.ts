import { Type } from '@fastify/type-provider-typebox';
import { Id, Timestamp } from '../common.schema.ts';

export const NewTokenBody = Type.Object(
  {
    role: Type.String({ minLength: 1, maxLength: 64, description: 'A role of the published policy.' }),
    label: Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        'What the token is for ("support desk 3"); not a person\'s name: labels appear in listings.',
    }),
    ttlDays: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 366, description: 'Default: SIGILO_TOKEN_TTL_DAYS.' }),
    ),
  },
  { additionalProperties: false },
);

export const TokenParams = Type.Object({ tokenId: Id });
export const TokenListQuery = Type.Object({
  all: Type.Optional(Type.Boolean({ description: 'Include revoked and expired tokens.' })),
});

export const TokenInfo = Type.Object({
  id: Id,
  role: Type.String(),
  label: Type.String(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
});

export const CreatedToken = Type.Object({
  token: Type.String({ description: 'The bearer token. Shown only in this response: store it now.' }),
  info: TokenInfo,
});

export const TokenList = Type.Object({ tokens: Type.Array(TokenInfo) });
