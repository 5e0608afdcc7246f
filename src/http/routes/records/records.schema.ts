/** Schemas of the telecom-record routes. */
import { Type } from '@fastify/type-provider-typebox';
import { TELECOM_KINDS } from '../../../telecom/records/telecom-record.ts';
import { RECORD_INPUT_SCHEMAS } from '../../../telecom/records/record-input.schema.ts';
import { RULE_KINDS } from '../../../telecom/attribution/attribution.ts';
import { Id, StringEnum, Timestamp } from '../common.schema.ts';

export const Kind = StringEnum(TELECOM_KINDS, { description: 'cdr, connection, access or traffic.' });
export const KindParams = Type.Object({ kind: Kind });
export const AccountKindParams = Type.Object({ accountId: Id, kind: Kind });
export const PersonParams = Type.Object({ personId: Id });

export const IngestQuery = Type.Object({
  accountId: Type.Optional(Id),
});

/** One record, of the kind named in the path (the ingester checks it against that kind's schema). */
export const IngestRecord = Type.Union(
  TELECOM_KINDS.map((k) => RECORD_INPUT_SCHEMAS[k]),
  { description: 'A record of the kind named in the path: cdr, connection, access or traffic.' },
);

/**
 * The batch as documented: up to 100,000 records of the path's kind. Each is validated on its own by the ingester
 * and bad ones are reported by position, so the route itself checks only `IngestBody`.
 */
export const IngestBatch = Type.Array(IngestRecord, {
  maxItems: 100_000,
  description: 'Up to 100,000 records of the kind named in the path; bad ones are reported by position.',
});

/** An NDJSON body as documented: one record per line, of the same shapes (streamed, never buffered whole). */
export const IngestLines = Type.Unknown({
  description:
    'One record per line, of the kind named in the path, in the shapes listed for application/json; ' +
    'bad lines are reported by line number.',
});

/** What the route checks before the ingester: an array of at most 100,000 objects. */
export const IngestBody = Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 100_000 });

export const IngestReport = Type.Object({
  read: Type.Integer(),
  stored: Type.Integer(),
  duplicates: Type.Integer(),
  rejected: Type.Integer(),
  errors: Type.Array(
    Type.Object({
      line: Type.Integer({ description: '1-based position in the batch' }),
      reason: Type.String(),
    }),
    {
      description: 'The first 1,000 rejected records, by position; values are never echoed.',
    },
  ),
});

export const WindowQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const ExportQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  format: Type.Optional(StringEnum(['ndjson', 'csv'] as const)),
});

export const RecordPage = Type.Object({
  records: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
    description: 'Records in time order, oldest first, masked as the policy says.',
  }),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'The cursor of the next page (send it as `cursor`), null after the last page.',
  }),
});

export const SearchBody = Type.Union([
  Type.Object(
    {
      number: Type.String({ minLength: 3, maxLength: 32 }),
      from: Type.String({ format: 'date-time' }),
      to: Type.String({ format: 'date-time' }),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      cursor: Type.Optional(Type.String({ maxLength: 200 })),
    },
    { additionalProperties: false, description: 'Every call to or from a number in the window.' },
  ),
  Type.Object(
    {
      ip: Type.String({ minLength: 2, maxLength: 64 }),
      port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
      instant: Type.String({ format: 'date-time' }),
    },
    {
      additionalProperties: false,
      description: 'Who used a public IP (and port, behind CGNAT) at an instant.',
    },
  ),
]);

export const RuleKind = StringEnum(RULE_KINDS);
export const NewRuleBody = Type.Object(
  { kind: RuleKind, pattern: Type.String({ minLength: 1, maxLength: 200 }), accountId: Id },
  { additionalProperties: false },
);
export const Rule = Type.Object({
  id: Id,
  kind: RuleKind,
  pattern: Type.String(),
  accountId: Id,
  createdAt: Timestamp,
});
export const RuleList = Type.Object({ rules: Type.Array(Rule) });
export const RuleParams = Type.Object({ ruleId: Id });
