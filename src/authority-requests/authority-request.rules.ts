/**
 * The legal rules an authority request is checked against before anyone searches anything. Each refusal is a
 * SigiloError whose code names the rule and whose details carry `rule` and `legalSource`, so the legal team (and the
 * authority, in the answer) sees which provision applied. Pure functions: no database, no clock of their own.
 */
import { DateTime } from 'luxon';
import { SigiloError, type ErrorCode } from '../errors.ts';
import { retentionRuleFor } from '../policy/policy.evaluate.ts';
import { parsePeriod, type Policy } from '../policy/policy.schema.ts';
import { normaliseIp } from '../validation/ip.ts';
import { normalisePhone } from '../validation/phone.ts';
import { normaliseTaxId } from '../validation/tax-id.ts';
import type {
  AuthorityType,
  NewAuthorityRequestInput,
  RequestType,
  TargetInput,
} from './authority-request.schema.ts';

/** A target after validation: normalised values only. */
export type Target =
  | { kind: 'number'; value: string }
  | { kind: 'account'; id: string }
  | { kind: 'tax_id'; value: string }
  | { kind: 'ip'; ip: string; port: number | null; at: string };

/** Cadastral data in the sense of the law: personal qualification and address (Marco Civil Art. 10 §3). */
export const CADASTRAL_CATEGORIES = ['name', 'tax_id', 'postal_address'] as const;

/** The policy categories each request type may reach; content is not held by Sigilo at all. */
export const TYPE_CATEGORIES: Record<RequestType, readonly string[]> = {
  cadastral: CADASTRAL_CATEGORIES,
  connection_records: ['connection_record'],
  access_records: ['access_record'],
  cdrs: ['call_record'],
  content: [],
  preservation: ['connection_record', 'access_record', 'call_record'],
};

/** Request types that only a court order opens, with the provision that says so. */
export const COURT_ORDER_TYPES: Partial<Record<RequestType, string>> = {
  connection_records: 'Marco Civil da Internet (Lei 12.965/2014), Art. 10 §1, Art. 13 §5 e Art. 22',
  access_records: 'Marco Civil da Internet (Lei 12.965/2014), Art. 10 §1, Art. 15 §3 e Art. 22',
  cdrs: 'Constituição Federal, Art. 5º, XII; Marco Civil da Internet (Lei 12.965/2014), Art. 10 §1 e Art. 22',
  content:
    'Constituição Federal, Art. 5º, XII; Lei 9.296/1996, Art. 1º; Marco Civil da Internet, Art. 7º, III',
};

/**
 * Authorities the law lets requisition cadastral data without a court order: police chiefs and prosecutors
 * (Lei 12.850/2013 Art. 15, Lei 9.613/1998 Art. 17-B) and administrative authorities with that competence
 * (Marco Civil Art. 10 §3). ANPD and Anatel supervise the provider; neither statute gives them a subscriber's
 * qualification on request, so their requests need a court order (counsel may record a specific competence as
 * `administrative_authority`).
 */
export const CADASTRAL_WITHOUT_ORDER: readonly AuthorityType[] = [
  'police_chief',
  'public_prosecutor',
  'administrative_authority',
];
const CADASTRAL_SOURCE =
  'Lei 12.850/2013, Art. 15; Lei 9.613/1998, Art. 17-B; Marco Civil da Internet (Lei 12.965/2014), Art. 10 §3';
const GENERIC_SOURCE = 'Decreto 8.771/2016, Art. 11 §3';

/** Record categories whose window must be inside what is retained. */
const RECORD_CATEGORIES = new Set(['connection_record', 'access_record', 'call_record']);

/** What the rules let through. */
export interface CheckedRequest {
  targets: Target[];
  categories: string[];
  window: { from: string | null; to: string | null };
  /** Per record category, the earliest instant still retained when part of the window is older. */
  retentionNotes: { category: string; retainedFrom: string }[];
}

function refuse(
  code: ErrorCode,
  message: string,
  rule: string,
  legalSource: string,
  extra: object = {},
): never {
  throw new SigiloError(code, message, { rule, legalSource, ...extra });
}

/** Checks an intake against the rules (input already matched the schema). */
export function checkRequest(input: NewAuthorityRequestInput, policy: Policy, now: Date): CheckedRequest {
  const types = input.requestTypes;
  const hasOrder = Boolean(input.courtOrderRef?.trim());

  for (const t of types) {
    const source = COURT_ORDER_TYPES[t];
    if (source && !hasOrder) {
      refuse(
        'AUTHORITY_COURT_ORDER_REQUIRED',
        `a request for ${t.replace('_', ' ')} needs a court order`,
        'court_order_required',
        source,
        { path: 'courtOrderRef', requestType: t },
      );
    }
  }
  if (types.includes('cadastral') && !hasOrder && !CADASTRAL_WITHOUT_ORDER.includes(input.authority.type)) {
    refuse(
      'AUTHORITY_NOT_COMPETENT',
      `cadastral data without a court order goes only to authorities the law names, not to ${input.authority.type}`,
      'cadastral_named_authorities',
      CADASTRAL_SOURCE,
      { path: 'authority.type', authorityType: input.authority.type },
    );
  }

  if (input.targets.length === 0) {
    refuse(
      'AUTHORITY_TARGET_GENERIC',
      'a request must name specific targets',
      'specific_targets',
      GENERIC_SOURCE,
      {
        path: 'targets',
      },
    );
  }
  const targets = input.targets.map((t, i) => checkTarget(t, `targets[${i}]`));

  const categories = categoriesOf(input, policy);
  const window = checkWindow(input, categories, policy, now);
  for (const [i, t] of targets.entries()) {
    if (t.kind === 'ip' && ((window.from && t.at < window.from) || (window.to && t.at > window.to))) {
      throw new SigiloError('VALIDATION_FAILED', 'the target instant is outside the window', {
        path: `targets[${i}].at`,
      });
    }
  }
  return { targets, categories, window: { from: window.from, to: window.to }, retentionNotes: window.notes };
}

// Wildcards, ranges, lists and prefixes turn one target into many people.
const COLLECTIVE = /[*%?_,;]|\.\.|\s-\s|^\d{1,7}$/;

function checkTarget(t: TargetInput, path: string): Target {
  const generic = (what: string): never =>
    refuse(
      'AUTHORITY_TARGET_GENERIC',
      `${what} is not a specific target`,
      'specific_targets',
      GENERIC_SOURCE,
      {
        path,
      },
    );
  switch (t.kind) {
    case 'number': {
      const raw = t.value.trim();
      if (COLLECTIVE.test(raw) || /x/i.test(raw)) generic('a number pattern or range');
      return { kind: 'number', value: normalisePhone(raw, `${path}.value`) };
    }
    case 'tax_id': {
      if (COLLECTIVE.test(t.value.trim())) generic('a document pattern');
      return { kind: 'tax_id', value: normaliseTaxId(t.value, `${path}.value`).value };
    }
    case 'account':
      if (COLLECTIVE.test(t.id)) generic('an account pattern');
      return { kind: 'account', id: t.id };
    case 'ip': {
      // A CGNAT address is shared by thousands of customers: only its instant (and port) names one of them.
      if (t.ip.includes('/')) generic('an address block');
      const at = DateTime.fromISO(t.at, { setZone: true });
      if (!at.isValid || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(t.at)) generic('an IP address without its instant');
      return {
        kind: 'ip',
        ip: normaliseIp(t.ip, `${path}.ip`),
        port: t.port ?? null,
        at: at.toUTC().toJSDate().toISOString(),
      };
    }
  }
}

function categoriesOf(input: NewAuthorityRequestInput, policy: Policy): string[] {
  const covered = new Set(input.requestTypes.flatMap((t) => TYPE_CATEGORIES[t]));
  const declared = new Set(policy.categories.map((c) => c.id));
  if (!input.categories) return [...covered].sort();
  for (const [i, c] of input.categories.entries()) {
    if (!declared.has(c)) {
      throw new SigiloError('CATEGORY_NOT_DECLARED', `category '${c}' is not declared in the policy`, {
        path: `categories[${i}]`,
        category: c,
      });
    }
    if (!covered.has(c)) {
      throw new SigiloError('VALIDATION_FAILED', `category '${c}' is not covered by the request types`, {
        path: `categories[${i}]`,
        category: c,
      });
    }
  }
  return [...new Set(input.categories)].sort();
}

function instant(v: string, path: string): string {
  const d = DateTime.fromISO(v, { setZone: true });
  if (!d.isValid) throw new SigiloError('VALIDATION_FAILED', 'not an ISO-8601 instant', { path });
  return d.toUTC().toJSDate().toISOString();
}

function checkWindow(
  input: NewAuthorityRequestInput,
  categories: string[],
  policy: Policy,
  now: Date,
): { from: string | null; to: string | null; notes: CheckedRequest['retentionNotes'] } {
  const from = input.window?.from ? instant(input.window.from, 'window.from') : null;
  const to = input.window?.to ? instant(input.window.to, 'window.to') : null;
  if (from && to && from > to)
    throw new SigiloError('VALIDATION_FAILED', 'the window ends before it starts', { path: 'window' });
  const records = categories.filter((c) => RECORD_CATEGORIES.has(c));
  const searchesRecords = input.requestTypes.some((t) => t !== 'cadastral' && t !== 'preservation');
  if (records.length > 0 && searchesRecords && (!from || !to)) {
    // An open window is every record ever kept: not specific.
    refuse(
      'AUTHORITY_TARGET_GENERIC',
      'a records request needs a bounded time window',
      'specific_window',
      GENERIC_SOURCE,
      {
        path: input.window?.from ? 'window.to' : 'window.from',
      },
    );
  }
  const notes: CheckedRequest['retentionNotes'] = [];
  const outside: { category: string; retainedFrom: string }[] = [];
  for (const c of records) {
    const rule = retentionRuleFor(policy, c)?.rule;
    if (rule?.kind !== 'after') continue;
    const period = parsePeriod(rule.period);
    if (!period) continue;
    const retainedFrom = DateTime.fromJSDate(now, { zone: 'utc' }).minus(period).toJSDate().toISOString();
    if (to !== null && to < retainedFrom) outside.push({ category: c, retainedFrom });
    else if (from === null || from < retainedFrom) notes.push({ category: c, retainedFrom });
  }
  if (outside.length > 0 && outside.length === records.length) {
    throw new SigiloError(
      'AUTHORITY_WINDOW_NOT_RETAINED',
      'the window lies wholly before what the retention rules keep: no such records exist any more',
      {
        rule: 'retention_window',
        legalSource:
          'Marco Civil da Internet (Lei 12.965/2014), Arts. 13 e 15; política de retenção publicada',
        path: 'window',
        retained: outside,
      },
    );
  }
  // A category wholly outside while another is not: it is answered as not retained, never as an empty search.
  notes.push(...outside);
  return { from, to, notes };
}
