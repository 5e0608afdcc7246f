/**
 * The column mapping of the generic-csv format: which column holds which CDR fact, and how times are written.
 * Loaded from YAML or JSON; every problem becomes VALIDATION_FAILED with `details.issues[{ path, message }]`.
 */
import { readFile } from 'node:fs/promises';
import { IANAZone } from 'luxon';
import YAML from 'yaml';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { SigiloError } from '../../errors.ts';

/** A column by header name, or by 0-based position (a number, or a string of digits when there is no header). */
const ColumnRef = Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })]);
export type ColumnRef = Static<typeof ColumnRef>;

export const GENERIC_FIELDS = [
  'startedAt',
  'endedAt',
  'caller',
  'callee',
  'answeredAt',
  'durationSec',
  'billSec',
  'disposition',
  'platformId',
  'linkedId',
  'callerName',
  'context',
  'channel',
  'dstChannel',
  'accountCode',
  'username',
  'sourceIp',
  'direction',
] as const;
export type GenericField = (typeof GENERIC_FIELDS)[number];

export const GenericMappingSchema = Type.Object(
  {
    /** One character; default ','. */
    delimiter: Type.Optional(Type.String()),
    /** Whether the first line names the columns. */
    header: Type.Boolean(),
    /** IANA zone of times written without an offset; default the reader's timezone option. */
    timezone: Type.Optional(Type.String()),
    /** 'iso' (default), 'epoch' (seconds), 'epoch_ms', or a luxon format string such as 'dd/MM/yyyy HH:mm:ss'. */
    timeFormat: Type.Optional(Type.String({ minLength: 1 })),
    columns: Type.Object(
      {
        startedAt: ColumnRef,
        endedAt: ColumnRef,
        caller: ColumnRef,
        callee: ColumnRef,
        answeredAt: Type.Optional(ColumnRef),
        durationSec: Type.Optional(ColumnRef),
        billSec: Type.Optional(ColumnRef),
        disposition: Type.Optional(ColumnRef),
        platformId: Type.Optional(ColumnRef),
        linkedId: Type.Optional(ColumnRef),
        callerName: Type.Optional(ColumnRef),
        context: Type.Optional(ColumnRef),
        channel: Type.Optional(ColumnRef),
        dstChannel: Type.Optional(ColumnRef),
        accountCode: Type.Optional(ColumnRef),
        username: Type.Optional(ColumnRef),
        sourceIp: Type.Optional(ColumnRef),
        direction: Type.Optional(ColumnRef),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type GenericCsvMapping = Static<typeof GenericMappingSchema>;
const mappingValidator = Compile(GenericMappingSchema);

interface MappingIssue {
  path: string;
  message: string;
}

function invalid(source: string, issues: MappingIssue[], cause?: unknown): SigiloError {
  const list = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
  return new SigiloError(
    'VALIDATION_FAILED',
    `Column mapping ${source} is invalid: ${list}`,
    { path: source, issues },
    { cause },
  );
}

/** Validates an already parsed mapping; `source` names it in errors (a file path, or 'mapping'). */
export function parseGenericMapping(value: unknown, source = 'mapping'): GenericCsvMapping {
  const issues = [...shapeIssues(mappingValidator.Errors(value)), ...valueIssues(value)];
  if (issues.length === 0 && mappingValidator.Check(value)) {
    const positional = value.header ? [] : positionalIssues(value);
    if (positional.length === 0) return value;
    throw invalid(source, positional);
  }
  throw invalid(source, issues);
}

/** The schema's errors as `{ path, message }`, one per problem (never quoting the value). */
function shapeIssues(errors: readonly TLocalizedValidationError[]): MappingIssue[] {
  const out = new Map<string, MappingIssue>();
  const add = (path: string, message: string): void => {
    out.set(`${path}\u0000${message}`, { path, message });
  };
  for (const e of errors) {
    const path = e.instancePath.slice(1).split('/').join('.');
    const params = e.params as { requiredProperties?: string[]; additionalProperties?: unknown[] };
    // `additionalProperties: false` also fails each unknown key on its own, and a union reports each branch:
    // both are reported once, by the parent error.
    if (e.keyword === 'boolean' || e.schemaPath.includes('/anyOf/')) continue;
    if (e.keyword === 'required') {
      for (const p of params.requiredProperties ?? []) add(path ? `${path}.${p}` : p, 'is required');
    } else if (e.keyword === 'additionalProperties') {
      // The path names the object; the key itself is the caller's text and is not repeated.
      const n = params.additionalProperties?.length ?? 1;
      add(path, n === 1 ? 'has an unrecognized key' : `has ${n} unrecognized keys`);
    } else if (e.keyword === 'anyOf') {
      add(path, 'must be a column name or a 0-based position');
    } else {
      add(path, e.message);
    }
  }
  return [...out.values()];
}

/** Rules on values the schema cannot say: the delimiter's character and the time zone's name. */
function valueIssues(value: unknown): MappingIssue[] {
  if (typeof value !== 'object' || value === null) return [];
  const { delimiter, timezone } = value as { delimiter?: unknown; timezone?: unknown };
  const issues: MappingIssue[] = [];
  if (typeof delimiter === 'string') {
    if (delimiter.length !== 1) issues.push({ path: 'delimiter', message: 'must be exactly one character' });
    else if (delimiter === '"' || delimiter === '\n' || delimiter === '\r')
      issues.push({ path: 'delimiter', message: 'cannot be a quote or a line break' });
  }
  if (typeof timezone === 'string' && !IANAZone.isValidZone(timezone))
    issues.push({ path: 'timezone', message: 'not a valid IANA time zone name' });
  return issues;
}

/** Without a header, every column must be a 0-based position. */
function positionalIssues(mapping: GenericCsvMapping): MappingIssue[] {
  return Object.entries(mapping.columns)
    .filter(([, ref]) => typeof ref === 'string' && !/^\d+$/.test(ref))
    .map(([field]) => ({
      path: `columns.${field}`,
      message: 'without a header, columns are given by 0-based position',
    }));
}

/** Reads and validates a mapping file (YAML or JSON; YAML 1.2 reads JSON too). */
export async function loadGenericMapping(file: string): Promise<GenericCsvMapping> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw invalid(file, [{ path: '', message: 'cannot read the file' }], err);
  }
  let value: unknown;
  try {
    value = YAML.parse(text) as unknown;
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw invalid(
      file,
      [{ path: '', message: `not valid YAML or JSON${line ? ` (line ${line})` : ''}` }],
      err,
    );
  }
  return parseGenericMapping(value, file);
}
