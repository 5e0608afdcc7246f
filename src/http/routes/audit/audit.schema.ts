import { Type } from '@fastify/type-provider-typebox';
import { Id, StringEnum, Timestamp } from '../common.schema.ts';

export const AuditLogQuery = Type.Object({
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'Entries after this sequence number.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  subjectId: Type.Optional(Id),
});

export const AuditEntry = Type.Object({
  seq: Type.Integer(),
  at: Timestamp,
  actor: Type.String(),
  role: Type.String(),
  purpose: Type.Union([Type.String(), Type.Null()]),
  legalBasis: Type.Union([Type.String(), Type.Null()]),
  subjectId: Type.Union([Type.String(), Type.Null()]),
  categories: Type.Array(Type.String()),
  operation: Type.String(),
  outcome: StringEnum(['allowed', 'denied', 'error'] as const),
  reason: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.String(),
  policyVersion: Type.Integer(),
  justification: Type.Union([Type.String(), Type.Null()]),
  hash: Type.String({ description: 'Hex SHA-256 chaining this entry to the previous one.' }),
});

export const AuditLogPage = Type.Object({
  entries: Type.Array(AuditEntry),
  nextAfterSeq: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Pass as afterSeq for the next page.',
  }),
});

export const VerifyReport = Type.Object({
  ok: Type.Boolean(),
  entries: Type.Integer(),
  checkpoints: Type.Integer(),
  firstBroken: Type.Union([Type.Object({ seq: Type.Integer(), problem: Type.String() }), Type.Null()]),
});
