/**
 * The column mapping of the generic-csv format: which column holds which CDR fact, and how times are written.
 * Loaded from YAML or JSON; every problem becomes VALIDATION_FAILED with `details.issues[{ path, message }]`.
 */
import { readFile } from 'node:fs/promises';
import { IANAZone } from 'luxon';
import YAML from 'yaml';
import { z } from 'zod';
import { SigiloError } from '../../errors.ts';

/** A column by header name, or by 0-based position (a number, or a string of digits when there is no header). */
const columnRef = z.union([z.string().min(1), z.number().int().nonnegative()]);
export type ColumnRef = z.infer<typeof columnRef>;

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

export const genericMappingSchema = z
  .object({
    /** One character; default ','. */
    delimiter: z
      .string()
      .length(1, 'must be exactly one character')
      .refine((d) => d !== '"' && d !== '\n' && d !== '\r', 'cannot be a quote or a line break')
      .optional(),
    /** Whether the first line names the columns. */
    header: z.boolean(),
    /** IANA zone of times written without an offset; default the reader's timezone option. */
    timezone: z
      .string()
      .refine((name) => IANAZone.isValidZone(name), 'not a valid IANA time zone name')
      .optional(),
    /** 'iso' (default), 'epoch' (seconds), 'epoch_ms', or a luxon format string such as 'dd/MM/yyyy HH:mm:ss'. */
    timeFormat: z.string().min(1).optional(),
    columns: z
      .object({
        startedAt: columnRef,
        endedAt: columnRef,
        caller: columnRef,
        callee: columnRef,
        answeredAt: columnRef.optional(),
        durationSec: columnRef.optional(),
        billSec: columnRef.optional(),
        disposition: columnRef.optional(),
        platformId: columnRef.optional(),
        linkedId: columnRef.optional(),
        callerName: columnRef.optional(),
        context: columnRef.optional(),
        channel: columnRef.optional(),
        dstChannel: columnRef.optional(),
        accountCode: columnRef.optional(),
        username: columnRef.optional(),
        sourceIp: columnRef.optional(),
        direction: columnRef.optional(),
      })
      .strict(),
  })
  .strict()
  .superRefine((mapping, ctx) => {
    if (mapping.header) return;
    for (const [field, ref] of Object.entries(mapping.columns)) {
      if (typeof ref === 'string' && !/^\d+$/.test(ref)) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', field],
          message: 'without a header, columns are given by 0-based position',
        });
      }
    }
  });

export type GenericCsvMapping = z.infer<typeof genericMappingSchema>;

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
  const result = genericMappingSchema.safeParse(value);
  if (result.success) return result.data;
  throw invalid(
    source,
    result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  );
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
