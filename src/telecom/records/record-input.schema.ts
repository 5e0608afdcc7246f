/**
 * The shapes telecom records arrive in as JSON (HTTP batches, JSON arrays or NDJSON, from platforms that do not
 * write files): one TypeBox schema per kind. The ingester checks every record against its kind's schema,
 * compiled once; the records route shows the same schemas in OpenAPI. A bad record is reported by its first
 * problem as `field: problem` (fields in schema order, unknown keys last), never by its value.
 */
import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import type { ParsedCdr } from '../formats/cdr-record.ts';
import { DIRECTIONS, DISPOSITIONS, INPUT_DEFAULTS, type TelecomKind } from './telecom-record.ts';

// Seconds required, an offset required (Z or ±hh:mm), upper-case T and Z: what Date.parse reads the same way
// everywhere. The format adds the calendar (no 30 February).
const IsoTime = Type.String({
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:[0-5]\\d(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO-8601 date-time with seconds and an offset (Z or ±hh:mm); stored in UTC.',
});
const Ip = Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })], {
  description: 'IPv4 or IPv6 address.',
});
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Count = (options: { description?: string; default?: number } = {}) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...options });
const Text = (minLength: number, maxLength: number, description?: string) =>
  Type.String({ minLength, maxLength, ...(description ? { description } : {}) });
const Nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const AccountId = Type.Optional(
  Text(
    1,
    64,
    'The account the record belongs to; otherwise the query accountId or the attribution rules decide.',
  ),
);

/** A call detail record sent as JSON (HTTP batches from platforms that do not write files). */
export const CdrInputSchema = Type.Object(
  {
    accountId: AccountId,
    platformId: Type.Optional(Text(1, 200, "The platform's id of the call; the natural key when present.")),
    linkedId: Type.Optional(Text(1, 200)),
    startedAt: IsoTime,
    answeredAt: Nullable(IsoTime),
    endedAt: IsoTime,
    durationSec: Type.Optional(Count({ description: 'Default: endedAt − startedAt.' })),
    billSec: Type.Optional(Count({ description: 'Default: endedAt − answeredAt, or 0 when not answered.' })),
    caller: Type.String({ maxLength: 64 }),
    callee: Type.String({ maxLength: 64 }),
    callerName: Nullable(Type.String({ maxLength: 200 })),
    direction: Type.Optional(Type.Enum(DIRECTIONS, { default: INPUT_DEFAULTS.direction })),
    disposition: Type.Optional(Type.Enum(DISPOSITIONS, { default: INPUT_DEFAULTS.disposition })),
    channel: Nullable(Type.String({ maxLength: 200 })),
    dstChannel: Nullable(Type.String({ maxLength: 200 })),
    accountCode: Nullable(Type.String({ maxLength: 100 })),
    context: Nullable(Type.String({ maxLength: 100 })),
    username: Nullable(Type.String({ maxLength: 200 })),
    sourceIp: Nullable(Ip),
  },
  {
    additionalProperties: false,
    title: 'CDR (kind cdr)',
    description: 'A call detail record.',
  },
);
export type CdrInput = Static<typeof CdrInputSchema>;

/** A connection record (Marco Civil Art. 13): who had which IP and port range when (CGNAT needs the port). */
export const ConnectionInputSchema = Type.Object(
  {
    accountId: AccountId,
    sessionId: Type.Optional(Text(1, 200, 'The session id; the natural key when present.')),
    username: Type.Optional(Text(1, 200)),
    startedAt: IsoTime,
    stoppedAt: Nullable(IsoTime),
    ip: Ip,
    portStart: Type.Optional(Port),
    portEnd: Type.Optional(Port),
    nasIp: Type.Optional(Ip),
  },
  {
    additionalProperties: false,
    title: 'Connection record (kind connection)',
    description: 'Who had which IP address and port range when (Marco Civil Art. 13).',
  },
);
export type ConnectionInput = Static<typeof ConnectionInputSchema>;

/** An access record of the provider's customer systems (Marco Civil Art. 15): portal, app and API logins. */
export const AccessInputSchema = Type.Object(
  {
    accountId: AccountId,
    eventId: Type.Optional(Text(1, 200, 'The event id; the natural key when present.')),
    user: Text(1, 200),
    at: IsoTime,
    ip: Ip,
    port: Type.Optional(Port),
    system: Type.Enum(['portal', 'app', 'api']),
    activity: Text(1, 200),
    outcome: Type.Optional(Type.Enum(['success', 'failure'], { default: INPUT_DEFAULTS.outcome })),
  },
  {
    additionalProperties: false,
    title: 'Access record (kind access)',
    description: "A login or action in the provider's portal, app or API (Marco Civil Art. 15).",
  },
);
export type AccessInput = Static<typeof AccessInputSchema>;

/** A traffic/usage aggregate of an account over a period. */
export const TrafficInputSchema = Type.Object(
  {
    accountId: AccountId,
    periodStart: IsoTime,
    periodEnd: IsoTime,
    service: Text(1, 100),
    bytesIn: Type.Optional(Count({ default: INPUT_DEFAULTS.count })),
    bytesOut: Type.Optional(Count({ default: INPUT_DEFAULTS.count })),
    calls: Type.Optional(Count({ default: INPUT_DEFAULTS.count })),
    billSec: Type.Optional(Count({ default: INPUT_DEFAULTS.count })),
  },
  {
    additionalProperties: false,
    title: 'Traffic aggregate (kind traffic)',
    description: "Usage of one of an account's services over a period.",
  },
);
export type TrafficInput = Static<typeof TrafficInputSchema>;

/** Each kind's input schema. */
export const RECORD_INPUT_SCHEMAS = {
  cdr: CdrInputSchema,
  connection: ConnectionInputSchema,
  access: AccessInputSchema,
  traffic: TrafficInputSchema,
} as const satisfies Record<TelecomKind, TObject>;

interface InputOf {
  cdr: CdrInput;
  connection: ConnectionInput;
  access: AccessInput;
  traffic: TrafficInput;
}

// Compiled once: checking a record is a call of generated code, not a walk of the schema.
const validators: { [K in TelecomKind]: Validator } = {
  cdr: Compile(CdrInputSchema),
  connection: Compile(ConnectionInputSchema),
  access: Compile(AccessInputSchema),
  traffic: Compile(TrafficInputSchema),
};

/** Checks one record of `kind`; a bad one gets its first problem, by field. */
export function checkRecordInput<K extends TelecomKind>(
  kind: K,
  item: unknown,
): { value: InputOf[K] } | { problem: string } {
  const v = validators[kind];
  if (v.Check(item)) return { value: item as InputOf[K] };
  return { problem: firstProblem(RECORD_INPUT_SCHEMAS[kind], v.Errors(item)) };
}

/**
 * A JSON CDR as the readers' ParsedCdr (instants in UTC, defaults applied; natural key: the platform id, else the
 * record's content), or its problem.
 */
export function parsedFromInput(
  item: unknown,
  line: number,
):
  | { ok: true; record: ParsedCdr; accountId: string | undefined }
  | { ok: false; line: number; reason: string } {
  const checked = checkRecordInput('cdr', item);
  if ('problem' in checked) return { ok: false, line, reason: checked.problem };
  const c = checked.value;
  const start = Date.parse(c.startedAt);
  const end = Date.parse(c.endedAt);
  const answered = c.answeredAt ? Date.parse(c.answeredAt) : null;
  if (end < start) return { ok: false, line, reason: 'endedAt: before startedAt' };
  const naturalKey = c.platformId
    ? `api:${c.platformId}`
    : `content:${start}|${end}|${c.caller}|${c.callee}|${c.channel ?? ''}`;
  return {
    ok: true,
    accountId: c.accountId,
    record: {
      naturalKey,
      platform: 'generic',
      platformId: c.platformId ?? null,
      linkedId: c.linkedId ?? null,
      startedAt: new Date(start).toISOString(),
      answeredAt: answered === null ? null : new Date(answered).toISOString(),
      endedAt: new Date(end).toISOString(),
      durationSec: c.durationSec ?? Math.max(0, Math.round((end - start) / 1000)),
      billSec: c.billSec ?? (answered === null ? 0 : Math.max(0, Math.round((end - answered) / 1000))),
      caller: c.caller,
      callee: c.callee,
      callerName: c.callerName ?? null,
      accountCode: c.accountCode ?? null,
      context: c.context ?? null,
      channel: c.channel ?? null,
      dstChannel: c.dstChannel ?? null,
      username: c.username ?? null,
      sourceIp: c.sourceIp ?? null,
      disposition: c.disposition ?? INPUT_DEFAULTS.disposition,
      direction: c.direction ?? INPUT_DEFAULTS.direction,
      sourceLine: line,
    },
  };
}

/** The first problem of a record that failed `schema`, as `field: problem`. */
function firstProblem(schema: TObject, errors: readonly TLocalizedValidationError[]): string {
  const order = Object.keys(schema.properties);
  let best: { rank: number; text: string } | null = null;
  const consider = (rank: number, field: string, problem: string): void => {
    if (best === null || rank < best.rank) best = { rank, text: `${field}: ${problem}` };
  };
  for (const e of errors) {
    const params = e.params as { requiredProperties?: string[]; additionalProperties?: string[] };
    if (e.instancePath === '') {
      if (e.keyword === 'required') {
        for (const p of params.requiredProperties ?? []) consider(order.indexOf(p), p, 'is required');
      } else if (e.keyword === 'additionalProperties') {
        const key = String(params.additionalProperties?.[0] ?? '');
        consider(order.length, 'record', `unrecognized key ${JSON.stringify(key.slice(0, 40))}`);
      } else {
        consider(-1, 'record', 'must be an object');
      }
      continue;
    }
    // `additionalProperties: false` also fails each unknown key on its own; reported once, above.
    if (e.keyword === 'boolean') continue;
    const field = e.instancePath.slice(1).split('/')[0]!.replace(/~1/g, '/').replace(/~0/g, '~');
    const rank = order.indexOf(field);
    consider(rank < 0 ? order.length : rank, field, describe(e));
  }
  return (best as { text: string } | null)?.text ?? 'record: is invalid';
}

/** What a field must be, from the rule it broke (never from its value). */
function describe(e: TLocalizedValidationError): string {
  const format = (e.params as { format?: string }).format;
  if (format === 'date-time' || e.keyword === 'pattern')
    return 'must be an ISO-8601 date-time with seconds and an offset';
  if (format === 'ipv4' || format === 'ipv6') return 'must be an IPv4 or IPv6 address';
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return `must be one of ${allowed.map(String).join(', ')}`;
  }
  return e.message;
}
