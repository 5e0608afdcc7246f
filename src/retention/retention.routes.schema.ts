/** TypeBox schemas of the retention and legal-hold routes (responses hold ids, dates and counts, no personal data). */
import { Type } from '@fastify/type-provider-typebox';
import { StringEnum, Timestamp } from '../http/routes/common.schema.ts';
import { HOLD_KINDS, HOLD_SCOPE_KINDS } from './legal-hold.schema.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const RuleSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('after'),
    anchor: StringEnum(['record_created', 'contract_end', 'ticket_resolved'] as const),
    period: Type.String({ description: "ISO-8601 period, e.g. 'P5Y'." }),
  }),
  Type.Object({ kind: Type.Literal('until_contract_end') }),
  Type.Object({ kind: Type.Literal('while_referenced') }),
]);

export const PreviewSchema = Type.Object({
  generatedAt: Timestamp,
  policyVersion: Type.Integer(),
  activeHolds: Type.Integer(),
  note: Type.String(),
  targets: Type.Array(
    Type.Object({
      target: Type.String({ description: 'Retention target id, e.g. core.contracts.' }),
      category: Type.String(),
      categoryLabel: Type.String(),
      description: Type.String(),
      rule: Nullable(RuleSchema),
      ruleText: Nullable(Type.String()),
      source: Nullable(Type.String({ description: 'Legal source of the rule.' })),
      verified: Nullable(Type.Boolean({ description: 'False: the source could not be verified.' })),
      due: Type.Object({
        items: Type.Integer(),
        records: Type.Integer(),
        from: Nullable(Timestamp),
        to: Nullable(Timestamp),
        oldestExpiry: Nullable(Timestamp),
      }),
      held: Type.Integer({ description: 'Expired items a legal hold keeps.' }),
      nextExpiry: Nullable(Timestamp),
      capped: Type.Boolean(),
      skipped: Type.Optional(StringEnum(['no_rule', 'unsupported_rule'] as const)),
    }),
  ),
});

export const CertificateSummarySchema = Type.Object({
  id: Type.String(),
  runId: Type.String(),
  issuedAt: Timestamp,
  runStatus: StringEnum(['completed', 'failed', 'interrupted'] as const),
  totals: Type.Object({ items: Type.Integer(), records: Type.Integer(), shreddedSubjects: Type.Integer() }),
  categories: Type.Array(Type.String()),
});

export const CertificateSchema = Type.Object({
  algorithm: Type.Literal('Ed25519'),
  canonical: Type.String({ description: 'The exact signed bytes: canonical JSON of the body.' }),
  signature: Type.String({
    description: 'Base64 Ed25519 signature of "sigilo/deletion-certificate/v1\\n" + canonical.',
  }),
  publicKey: Type.String({ description: "Base64 raw public key; must equal Sigilo's signing key." }),
  body: Type.Record(Type.String(), Type.Unknown(), {
    description: 'The parsed body (rule, category, counts, time range, SHA-256 digests, summaryPt).',
  }),
});

export const VerifySchema = Type.Object({
  ok: Type.Boolean(),
  problem: Type.Optional(Type.String()),
});

export const CertificateListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const HoldSchema = Type.Object({
  id: Type.String(),
  kind: StringEnum(HOLD_KINDS),
  scope: Type.Object({ kind: StringEnum(HOLD_SCOPE_KINDS), id: Type.String() }),
  categories: Type.Array(Type.String()),
  window: Type.Object({ from: Nullable(Timestamp), to: Nullable(Timestamp) }),
  reason: Type.String(),
  authorityRequestRef: Nullable(Type.String()),
  courtRequestRef: Nullable(Type.String()),
  requestedAt: Timestamp,
  expiresAt: Nullable(Timestamp),
  status: StringEnum(['active', 'released', 'expired'] as const),
  createdAt: Timestamp,
  createdBy: Type.String(),
  updatedAt: Timestamp,
  releasedAt: Nullable(Timestamp),
  releasedBy: Nullable(Type.String()),
  releaseReason: Nullable(Type.String()),
});

export const HoldWithHistorySchema = Type.Object({
  hold: HoldSchema,
  history: Type.Array(
    Type.Object({
      kind: StringEnum(['created', 'extended', 'court_request', 'released'] as const),
      at: Timestamp,
      actor: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});

export const HoldListQuery = Type.Object({
  status: Type.Optional(StringEnum(['active', 'released', 'expired'] as const)),
  scopeId: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
