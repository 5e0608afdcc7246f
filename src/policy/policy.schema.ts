/**
 * The policy document's schema: the single source of truth that the gate enforces and the published Portuguese
 * text is rendered from. Objects are strict so a misspelt key (e.g. `sensitve`) is an error, not silently dropped.
 */
import { Duration } from 'luxon';
import { z } from 'zod';
import { GUARD_CLASSES } from '../guard/guard-classes.ts';

/** Marks the issue that turns into POLICY_SENSITIVE_CATEGORY instead of POLICY_INVALID. */
export const SENSITIVE_CATEGORY_ISSUE = 'sigilo.sensitive_category';

const text = z.string().trim().min(1, 'must not be empty');
const snakeId = z
  .string()
  .regex(
    /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/,
    'must be a snake_case id (lower-case letters, digits, underscores)',
  );
const ptText = z.strictObject({ pt: text });
const ptEnText = z.strictObject({ pt: text, en: text });

export const OPERATIONS = ['read', 'write', 'delete', 'export'] as const;
export const MASKINGS = ['none', 'partial', 'hidden'] as const;
export const RETENTION_ANCHORS = ['record_created', 'contract_end', 'ticket_resolved'] as const;
export const DETECTOR_ACTIONS = ['reject', 'redact', 'quarantine'] as const;

/** Parses a date-only ISO-8601 duration ('P6M', 'P1Y', 'P90D'); undefined when malformed or zero. */
export function parsePeriod(period: string): Duration | undefined {
  // Time components (PT…) make no sense for legal retention periods and would hide typos like 'PT6M'.
  if (!/^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?$/.test(period) || period === 'P') return undefined;
  const duration = Duration.fromISO(period);
  return duration.isValid && duration.as('days') > 0 ? duration : undefined;
}

const period = z.string().refine((p) => parsePeriod(p) !== undefined, {
  message:
    "must be a positive ISO-8601 duration in years, months, weeks or days, like 'P6M', 'P1Y' or 'P90D'",
});

export const retentionRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('after'), anchor: z.enum(RETENTION_ANCHORS), period }),
  // Secrets: destroyed when the contract ends.
  z.strictObject({ kind: z.literal('until_contract_end') }),
  // Identity/contact: kept while any other retained record needs it.
  z.strictObject({ kind: z.literal('while_referenced') }),
]);

export const categorySchema = z
  .strictObject({
    id: snakeId,
    label: ptEnText,
    description: ptText,
    fields: z.array(text),
    personal: z.boolean(),
    sensitive: z.boolean().default(false),
    legalBasis: text,
  })
  .superRefine((category, ctx) => {
    if (category.sensitive) {
      ctx.addIssue({
        code: 'custom',
        path: ['sensitive'],
        message: `category '${category.id}' is sensitive (LGPD Art. 11); the policy says sensitive data are not collected`,
        params: { sigilo: SENSITIVE_CATEGORY_ISSUE, category: category.id },
      });
    }
  });

export const purposeSchema = z.strictObject({
  id: snakeId,
  label: ptEnText,
  description: ptText,
  legalBasis: text,
  /**
   * Accesses under this purpose may be under legal secrecy (an authority's order): they never appear in what the
   * subject is shown (access history, sharing information). Sigilo cannot know when a secrecy ends, so a marked
   * purpose is excluded whole.
   */
  legalSecrecy: z.boolean().optional(),
  /**
   * LGPD Art. 9 §2: data collected under a version that did not declare this purpose may be used for it only when
   * the version that added it says so — the change applies to existing data and the subjects were informed.
   * Without it the gate refuses such reads (PURPOSE_NOT_DECLARED_AT_COLLECTION).
   */
  appliesToExisting: z.boolean().optional(),
  /**
   * LGPD Art. 18 IV: data the subject had blocked are kept but used only for this purpose (legal and regulatory
   * obligations, the defence of rights, the subject's own requests); every other purpose is refused
   * PROCESSING_BLOCKED by the gate.
   */
  continuesWhenBlocked: z.boolean().optional(),
});

/**
 * How a role's bearer credentials come to exist (issue 13 §3):
 * - `admin`: an administrator issues them alone; only for roles with no grant on a personal category (checked).
 * - `dpo_approval`: an administrator requests, and a second person with the DPO role approves before the token works.
 * - `identity_provider`: only from the identity provider's groups (OIDC), or the CLI on the server.
 * - `server`: only the CLI on the server (never over HTTP, never from OIDC). The default, so a role nobody
 *   classified is the hardest to obtain.
 */
export const ROLE_ISSUANCE = ['admin', 'dpo_approval', 'identity_provider', 'server'] as const;

export const roleSchema = z.strictObject({
  id: snakeId,
  label: ptEnText,
  description: ptText,
  issuance: z.enum(ROLE_ISSUANCE).default('server'),
  /**
   * The role acts for one authenticated data subject per request (the subject portal): the request names the
   * subject in a signed assertion and the gate refuses data of anyone else, answering as "not found".
   */
  subjectBound: z.boolean().default(false),
});

/**
 * Duties: the named actions that are not an operation on a personal-data category — managing legal holds,
 * reading deletion certificates, working authority or subject requests, issuing tokens. The code asks for them by
 * these ids (so a misspelt duty is a compile error there and POLICY_INVALID here); the policy declares the ones it
 * grants, with their labels, and `dutyGrants` says which role holds which. A duty no role holds is refused to all.
 */
export const DUTIES = [
  'legal_hold.read',
  'legal_hold.write',
  'retention.preview',
  'certificate.read',
  'certificate.verify',
  'authority_request.work',
  'authority_request.read_counts',
  'authority_request.read_signing_key',
  'subject_request.work',
  'subject_request.act_for_own_subject',
  'incident.manage',
  'processing_record.read',
  'policy.propose',
  'policy.approve',
  'audit_log.read',
  'quarantine.review',
  'token.issue',
  'token.list',
  'token.decide',
  'token.revoke',
] as const;

/**
 * Duties that make their holder the second person of a four-eyes check (approving tokens) or let it change the
 * policy itself: a role an administrator issues alone may not hold them, or an administrator could mint a token
 * that approves its own requests or widens its own access (checked at load, like personal-data grants).
 */
export const SECOND_PERSON_DUTIES: readonly Duty[] = ['token.decide', 'policy.propose', 'policy.approve'];

export const dutySchema = z.strictObject({
  id: z.enum(DUTIES, { message: `must be one of the duties Sigilo enforces: ${DUTIES.join(', ')}` }),
  label: ptEnText,
  description: ptText,
});

export const dutyGrantSchema = z.strictObject({
  role: snakeId,
  duties: z.array(z.enum(DUTIES)).min(1),
});

export const grantSchema = z.strictObject({
  role: snakeId,
  purpose: snakeId,
  categories: z.array(snakeId).min(1),
  operations: z.array(z.enum(OPERATIONS)).min(1),
  masking: z.enum(MASKINGS),
});

export const retentionSchema = z.strictObject({
  category: snakeId,
  rule: retentionRuleSchema,
  source: text,
  verified: z.boolean(),
  note: ptText.optional(),
});

/**
 * An operator (processor, LGPD Art. 5 VII) that processes personal data on the controller's behalf: declared so
 * that the records of processing (Art. 37) and an incident communication can name it.
 */
export const operatorSchema = z.strictObject({
  id: snakeId,
  name: text,
  /** What it does for the controller (hosting, e-mail delivery, payment collection…). */
  service: ptText,
  categories: z.array(snakeId).min(1),
  purposes: z.array(snakeId).min(1),
  /** ISO 3166-1 alpha-2 country where it processes the data. */
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code, like BR'),
  /** For a country other than BR: the safeguard of the international transfer (LGPD Art. 33). */
  transferSafeguard: ptText.optional(),
});

const detectorField = z.string().regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, 'must be table.column');

/**
 * What the sensitive-data guard does with a free-text field: `fields` sets the action for anything found,
 * `classes` overrides it for single classes of a field (e.g. redact a phone, quarantine health).
 */
export const detectorsSchema = z.strictObject({
  fields: z.record(detectorField, z.enum(DETECTOR_ACTIONS)),
  classes: z
    .record(detectorField, z.partialRecord(z.enum(GUARD_CLASSES), z.enum(DETECTOR_ACTIONS)))
    .default({}),
});

export const policySchema = z
  .strictObject({
    version: z.number().int().positive(),
    effectiveDate: z.iso.date('must be a real date written YYYY-MM-DD'),
    summary: ptEnText,
    controller: z.strictObject({ name: text, dpoEmail: z.email() }),
    categories: z.array(categorySchema).min(1),
    purposes: z.array(purposeSchema).min(1),
    roles: z.array(roleSchema).min(1),
    grants: z.array(grantSchema),
    /** Declared duties (see DUTIES); a document without `dutyGrants` gets the seed's (see parsePolicy). */
    duties: z.array(dutySchema),
    dutyGrants: z.array(dutyGrantSchema),
    retention: z.array(retentionSchema),
    detectors: detectorsSchema,
    operators: z.array(operatorSchema).default([]),
  })
  .superRefine((policy, ctx) => {
    const issue = (path: (string | number)[], message: string): void => {
      ctx.addIssue({ code: 'custom', path, message });
    };
    const declared = (key: 'categories' | 'purposes' | 'roles'): Set<string> => {
      const seen = new Set<string>();
      policy[key].forEach((item, i) => {
        if (seen.has(item.id)) issue([key, i, 'id'], `duplicate id '${item.id}'`);
        seen.add(item.id);
      });
      return seen;
    };
    const categories = declared('categories');
    const purposes = declared('purposes');
    const roles = declared('roles');

    policy.grants.forEach((grant, i) => {
      if (!roles.has(grant.role)) issue(['grants', i, 'role'], `role '${grant.role}' is not declared`);
      if (!purposes.has(grant.purpose))
        issue(['grants', i, 'purpose'], `purpose '${grant.purpose}' is not declared`);
      grant.categories.forEach((id, j) => {
        if (!categories.has(id)) issue(['grants', i, 'categories', j], `category '${id}' is not declared`);
      });
    });

    const duties = new Set<string>();
    policy.duties.forEach((duty, i) => {
      if (duties.has(duty.id)) issue(['duties', i, 'id'], `duplicate id '${duty.id}'`);
      duties.add(duty.id);
    });
    policy.dutyGrants.forEach((grant, i) => {
      if (!roles.has(grant.role)) issue(['dutyGrants', i, 'role'], `role '${grant.role}' is not declared`);
      grant.duties.forEach((id, j) => {
        if (!duties.has(id)) issue(['dutyGrants', i, 'duties', j], `duty '${id}' is not declared`);
      });
    });

    // An administrator alone may issue only roles that reach no personal data; the grants decide, not the label.
    const personal = new Set(policy.categories.filter((c) => c.personal).map((c) => c.id));
    policy.roles.forEach((role, i) => {
      if (role.issuance !== 'admin') return;
      const reached = policy.grants
        .filter((g) => g.role === role.id)
        .flatMap((g) => g.categories)
        .filter((c) => personal.has(c));
      if (reached.length > 0) {
        issue(
          ['roles', i, 'issuance'],
          `role '${role.id}' has grants on personal categories (${[...new Set(reached)].join(', ')}), ` +
            "so an administrator alone may not issue it; use 'dpo_approval', 'identity_provider' or 'server'",
        );
      }
      const held = policy.dutyGrants
        .filter((g) => g.role === role.id)
        .flatMap((g) => g.duties)
        .filter((d) => SECOND_PERSON_DUTIES.includes(d));
      if (held.length > 0) {
        issue(
          ['roles', i, 'issuance'],
          `role '${role.id}' holds ${[...new Set(held)].join(', ')}, which only a second person may hold, ` +
            "so an administrator alone may not issue it; use 'dpo_approval', 'identity_provider' or 'server'",
        );
      }
    });

    const operators = new Set<string>();
    policy.operators.forEach((op, i) => {
      if (operators.has(op.id)) issue(['operators', i, 'id'], `duplicate id '${op.id}'`);
      operators.add(op.id);
      op.categories.forEach((id, j) => {
        if (!categories.has(id)) issue(['operators', i, 'categories', j], `category '${id}' is not declared`);
      });
      op.purposes.forEach((id, j) => {
        if (!purposes.has(id)) issue(['operators', i, 'purposes', j], `purpose '${id}' is not declared`);
      });
      if (op.country !== 'BR' && !op.transferSafeguard) {
        issue(
          ['operators', i, 'transferSafeguard'],
          `operator '${op.id}' processes data outside Brazil: state the transfer safeguard (LGPD Art. 33)`,
        );
      }
    });

    const ruleCount = new Map<string, number>();
    policy.retention.forEach((entry, i) => {
      if (!categories.has(entry.category)) {
        issue(['retention', i, 'category'], `category '${entry.category}' is not declared`);
      }
      const count = (ruleCount.get(entry.category) ?? 0) + 1;
      ruleCount.set(entry.category, count);
      if (count > 1)
        issue(['retention', i, 'category'], `category '${entry.category}' has more than one retention rule`);
    });
    policy.categories.forEach((category, i) => {
      if (category.personal && !ruleCount.has(category.id)) {
        issue(['categories', i], `personal category '${category.id}' has no retention rule`);
      }
    });

    // A detector must guard a field some category declares; otherwise it guards nothing and the typo goes unseen.
    const fields = new Set(policy.categories.flatMap((c) => c.fields));
    for (const field of Object.keys(policy.detectors.fields)) {
      if (!fields.has(field))
        issue(['detectors', 'fields', field], `field '${field}' is not declared by any category`);
    }
    for (const field of Object.keys(policy.detectors.classes)) {
      if (!(field in policy.detectors.fields))
        issue(['detectors', 'classes', field], `field '${field}' has no action in detectors.fields`);
    }
  });

export type Operation = (typeof OPERATIONS)[number];
export type Masking = (typeof MASKINGS)[number];
export type DetectorAction = (typeof DETECTOR_ACTIONS)[number];
export type Detectors = z.infer<typeof detectorsSchema>;
export type RetentionRule = z.infer<typeof retentionRuleSchema>;
export type Category = z.infer<typeof categorySchema>;
export type Purpose = z.infer<typeof purposeSchema>;
export type Role = z.infer<typeof roleSchema>;
export type RoleIssuance = (typeof ROLE_ISSUANCE)[number];
export type Grant = z.infer<typeof grantSchema>;
/** A duty id the code may ask the policy about. */
export type Duty = (typeof DUTIES)[number];
export type DutyDeclaration = z.infer<typeof dutySchema>;
export type DutyGrant = z.infer<typeof dutyGrantSchema>;
export type Operator = z.infer<typeof operatorSchema>;
export type Retention = z.infer<typeof retentionSchema>;
/** A validated policy (output of the schema: defaults applied). */
export type Policy = z.infer<typeof policySchema>;
/** What a policy author writes (before defaults). */
export type PolicyInput = z.input<typeof policySchema>;
