/** Reads policy documents (YAML or JSON) and turns every problem into a SigiloError that names the path. */
import { readFileSync } from 'node:fs';
import path, { extname } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { SigiloError } from '../errors.ts';
import { SENSITIVE_CATEGORY_ISSUE, policySchema, type Policy } from './policy.schema.ts';

export interface PolicyIssue {
  path: string;
  message: string;
  line?: number;
}

/** Renders a zod path as `categories[3].label.pt`; keys that are not identifiers are quoted. */
export function renderPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function invalid(issues: PolicyIssue[], cause?: unknown): SigiloError {
  const list = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
  return new SigiloError('POLICY_INVALID', `Policy document is invalid: ${list}`, { issues }, { cause });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A document written before policies had duties (versions published earlier are stored that way) states no
 * `dutyGrants`: it gets the seed's duties and the seed's duty grants for the roles it declares, which are exactly
 * the role lists the code held before duties moved into the policy. A document that states `dutyGrants`, even an
 * empty list, gets only what it says.
 */
function withSeedDuties(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || 'dutyGrants' in doc) return doc;
  const seed = loadDefaultPolicy();
  const roles = (doc as { roles?: unknown }).roles;
  const declared = new Set(
    Array.isArray(roles) ? roles.map((r) => (r as { id?: unknown } | null)?.id).filter(Boolean) : [],
  );
  return {
    ...doc,
    duties: 'duties' in doc ? doc.duties : seed.duties,
    dutyGrants: seed.dutyGrants.filter((g) => declared.has(g.role)),
  };
}

/** Validates a parsed document; the result is deeply frozen because evaluation indexes are cached per object. */
export function parsePolicy(doc: unknown): Policy {
  const result = policySchema.safeParse(withSeedDuties(doc));
  if (result.success) return deepFreeze(result.data);

  // Sensitive data is a refusal of its own (LGPD Art. 11), reported even when other problems exist.
  const sensitive = result.error.issues.find(
    (i): i is z.core.$ZodIssueCustom =>
      i.code === 'custom' && i.params?.['sigilo'] === SENSITIVE_CATEGORY_ISSUE,
  );
  if (sensitive) {
    throw new SigiloError('POLICY_SENSITIVE_CATEGORY', `Policy refused: ${sensitive.message}`, {
      path: renderPath(sensitive.path),
      category: sensitive.params?.['category'],
    });
  }
  throw invalid(result.error.issues.map((i) => ({ path: renderPath(i.path), message: i.message })));
}

function lineOfOffset(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Node 20 names the position for most syntax errors (not for an unexpected token).
    const position = /position (\d+)/.exec(String(err))?.[1];
    const line = position === undefined ? undefined : lineOfOffset(text, Number(position));
    // Node's message quotes the source; the policy holds no personal data, but keep only the first clause.
    const reason =
      String((err as Error).message)
        .split(/[,(]/)[0]
        ?.trim() ?? 'syntax error';
    throw invalid(
      [{ path: '', message: `JSON syntax error${line ? ` at line ${line}` : ''}: ${reason}`, line }],
      err,
    );
  }
}

function parseYaml(text: string): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    const reason = error.message.split('\n')[0] ?? error.code;
    throw invalid(
      [{ path: '', message: `YAML syntax error${line ? ` at line ${line}` : ''}: ${reason}`, line }],
      error,
    );
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/** Parses YAML or JSON text into a validated policy; without a format, text starting with `{` is JSON. */
export function parsePolicyText(text: string, format?: 'yaml' | 'json'): Policy {
  const fmt = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  return parsePolicy(fmt === 'json' ? parseJson(text) : parseYaml(text));
}

/** Reads a policy file, choosing the format by extension (.yaml, .yml or .json). */
export function loadPolicyFile(file: string): Policy {
  const ext = extname(file).toLowerCase();
  const format = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined;
  if (!format) {
    throw invalid([
      { path: '', message: `unsupported policy file extension '${ext}' (use .yaml, .yml or .json)` },
    ]);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw invalid([{ path: '', message: `cannot read policy file ${file} (${code})` }], err);
  }
  return parsePolicyText(text, format);
}

const DEFAULT_POLICY_FILE = path.join(import.meta.dirname, 'default-policy.yaml');
let defaultPolicy: Policy | undefined;

/** The seed policy shipped with Sigilo (`default-policy.yaml`), parsed once. */
export function loadDefaultPolicy(): Policy {
  defaultPolicy ??= loadPolicyFile(DEFAULT_POLICY_FILE);
  return defaultPolicy;
}
