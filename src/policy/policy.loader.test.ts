import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SigiloError } from '../errors.ts';
import { loadDefaultPolicy, loadPolicyFile, parsePolicy, parsePolicyText } from './policy.loader.ts';
import { rolesWithDuty } from './policy.evaluate.ts';
import { DUTIES, type Duty, type Policy } from './policy.schema.ts';

/** A mutable copy of the seed policy to break in one place per test. */
const seedDoc = (): Policy => structuredClone(loadDefaultPolicy());

function at<T>(list: T[], i: number): T {
  const item = list[i];
  if (item === undefined) throw new Error(`no item ${i}`);
  return item;
}
const indexOfId = (list: { id: string }[], id: string): number => list.findIndex((x) => x.id === id);

function failure(fn: () => unknown): SigiloError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SigiloError) return err;
    throw err;
  }
  throw new Error('expected a SigiloError');
}

function issuesOf(doc: unknown): { path: string; message: string }[] {
  const err = failure(() => parsePolicy(doc));
  expect(err.code).toBe('POLICY_INVALID');
  return err.details['issues'] as { path: string; message: string }[];
}

describe('parsePolicy validation names the path', () => {
  it('refuses a personal-data role marked as issuable by an administrator alone, naming the categories', () => {
    const doc = seedDoc();
    const i = indexOfId(doc.roles, 'support_agent');
    at(doc.roles, i).issuance = 'admin';
    const issues = issuesOf(doc);
    expect(issues.map((x) => x.path)).toEqual([`roles[${i}].issuance`]);
    expect(issues[0]?.message).toContain("role 'support_agent' has grants on personal categories (name,");
  });

  it('refuses a second-person duty (approving tokens, changing the policy) to a role an administrator issues', () => {
    const doc = seedDoc();
    doc.dutyGrants.push({ role: 'auditor', duties: ['token.decide'] });
    const i = indexOfId(doc.roles, 'auditor');
    const issues = issuesOf(doc);
    expect(issues.map((x) => x.path)).toEqual([`roles[${i}].issuance`]);
    expect(issues[0]?.message).toContain(
      "role 'auditor' holds token.decide, which only a second person may hold",
    );
    // Other duties are fine for such a role: the seed's auditor and admin hold several.
    const other = seedDoc();
    other.dutyGrants.push({ role: 'admin', duties: ['audit_log.read'] });
    expect(() => parsePolicy(other)).not.toThrow();
  });

  it('lets an administrator issue a role whose only grants are on non-personal categories', () => {
    const doc = seedDoc();
    doc.categories.push({
      ...at(doc.categories, 0),
      id: 'service_catalogue',
      fields: ['catalogue.product'],
      personal: false,
    });
    doc.grants.push({
      role: 'auditor',
      purpose: 'support',
      categories: ['service_catalogue'],
      operations: ['read'],
      masking: 'none',
    });
    expect(parsePolicy(doc).roles.find((r) => r.id === 'auditor')?.issuance).toBe('admin');
  });

  it('classifies a role without `issuance` as server-only, the hardest to obtain', () => {
    const doc = seedDoc();
    Reflect.deleteProperty(at(doc.roles, indexOfId(doc.roles, 'billing')), 'issuance');
    expect(parsePolicy(doc).roles.find((r) => r.id === 'billing')?.issuance).toBe('server');
  });

  it('reports a missing Portuguese label', () => {
    const doc = seedDoc();
    Reflect.deleteProperty(at(doc.categories, 3).label, 'pt');
    expect(issuesOf(doc).map((i) => i.path)).toEqual(['categories[3].label.pt']);
  });

  it('reports a grant that names an undeclared category', () => {
    const doc = seedDoc();
    at(doc.grants, 1).categories = ['tax_id', 'biometria'];
    expect(issuesOf(doc)).toEqual([
      { path: 'grants[1].categories[1]', message: "category 'biometria' is not declared" },
    ]);
  });

  it('reports grants with an undeclared role or purpose', () => {
    const doc = seedDoc();
    at(doc.grants, 0).role = 'intern';
    at(doc.grants, 2).purpose = 'marketing';
    expect(issuesOf(doc).map((i) => i.path)).toEqual(['grants[0].role', 'grants[2].purpose']);
  });

  it('reports duty grants to an undeclared role or of an undeclared duty, and unknown duty ids', () => {
    const doc = seedDoc();
    at(doc.dutyGrants, 0).role = 'intern';
    doc.duties = doc.duties.filter((d) => d.id !== 'token.revoke');
    expect(issuesOf(doc).map((i) => i.path)).toEqual(['dutyGrants[0].role', 'dutyGrants[3].duties[5]']);

    const unknown = seedDoc() as unknown as { duties: { id: string }[] };
    at(unknown.duties, 0).id = 'legal_hold.shred';
    const [issue, ...others] = issuesOf(unknown);
    expect(others).toEqual([]);
    expect(issue?.path).toBe('duties[0].id');
    expect(issue?.message).toMatch(/^must be one of the duties Sigilo enforces/);
  });

  it('reports a duplicate id at the second occurrence', () => {
    const doc = seedDoc();
    doc.purposes.push({ ...at(doc.purposes, 0) });
    const index = doc.purposes.length - 1;
    expect(issuesOf(doc)).toEqual([{ path: `purposes[${index}].id`, message: "duplicate id 'support'" }]);
  });

  it.each(['6M', 'P', 'P0D', 'PT6M', 'P1.5Y', 'six months'])('rejects the retention period %j', (period) => {
    const doc = seedDoc();
    at(doc.retention, 0).rule = { kind: 'after', anchor: 'record_created', period };
    expect(issuesOf(doc).map((i) => i.path)).toEqual(['retention[0].rule.period']);
  });

  it('requires exactly one retention rule per personal category', () => {
    const missing = seedDoc();
    missing.retention = missing.retention.filter((r) => r.category !== 'email');
    const emailIndex = indexOfId(missing.categories, 'email');
    expect(issuesOf(missing)).toEqual([
      { path: `categories[${emailIndex}]`, message: "personal category 'email' has no retention rule" },
    ]);

    const twice = seedDoc();
    twice.retention.push(structuredClone(at(twice.retention, 0)));
    expect(issuesOf(twice).map((x) => x.path)).toEqual([`retention[${twice.retention.length - 1}].category`]);
  });

  it('reports retention and detectors that refer to nothing declared', () => {
    const doc = seedDoc();
    at(doc.retention, 0).category = 'login_history';
    doc.detectors.fields['ticket_message.attachment'] = 'reject';
    expect(issuesOf(doc).map((x) => x.path)).toEqual(
      expect.arrayContaining(['retention[0].category', 'detectors.fields["ticket_message.attachment"]']),
    );
  });

  it('rejects unknown keys, so a misspelt flag cannot slip through', () => {
    const doc = seedDoc();
    Object.assign(at(doc.categories, 0), { sensitve: true });
    const issues = issuesOf(doc);
    expect(issues.map((i) => i.path)).toEqual(['categories[0]']);
    expect(issues[0]?.message).toContain('sensitve');
  });

  it('rejects impossible dates, a bad e-mail and a non-integer version', () => {
    const doc = seedDoc();
    doc.effectiveDate = '2026-02-30';
    doc.controller.dpoEmail = 'not an address';
    doc.version = 1.5;
    expect(
      issuesOf(doc)
        .map((x) => x.path)
        .sort(),
    ).toEqual(['controller.dpoEmail', 'effectiveDate', 'version']);
  });

  it('refuses a sensitive category with its own code, even alongside other problems', () => {
    const doc = seedDoc();
    doc.categories.push({
      id: 'health',
      label: { pt: 'Saúde', en: 'Health' },
      description: { pt: 'Condições de saúde.' },
      fields: ['person.health'],
      personal: true,
      sensitive: true,
      legalBasis: 'LGPD Art. 11',
    });
    doc.version = 0;
    const err = failure(() => parsePolicy(doc));
    expect(err.code).toBe('POLICY_SENSITIVE_CATEGORY');
    expect(err.details).toEqual({
      path: `categories[${doc.categories.length - 1}].sensitive`,
      category: 'health',
    });
  });

  it('message lists every problem without the document values', () => {
    const doc = seedDoc();
    doc.controller.dpoEmail = 'fulano.da.silva';
    const err = failure(() => parsePolicy(doc));
    expect(err.message).toContain('controller.dpoEmail');
    expect(err.message).not.toContain('fulano');
  });
});

describe('parsePolicyText and loadPolicyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigilo-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the same policy from YAML and from JSON', () => {
    const seed = loadDefaultPolicy();
    const fromJson = parsePolicyText(JSON.stringify(seed, null, 2));
    const fromYaml = parsePolicyText(YAML.stringify(seed), 'yaml');
    expect(fromJson).toEqual(seed);
    expect(fromYaml).toEqual(seed);
  });

  it('applies defaults: sensitive is false when omitted', () => {
    const doc = seedDoc();
    Reflect.deleteProperty(at(doc.categories, 0), 'sensitive');
    expect(parsePolicy(doc).categories[0]?.sensitive).toBe(false);
  });

  it('turns a YAML syntax error into POLICY_INVALID with the line', () => {
    const err = failure(() =>
      parsePolicyText('version: 1\neffectiveDate: "2026-11-26\nsummary: {pt: x\n', 'yaml'),
    );
    expect(err.code).toBe('POLICY_INVALID');
    const [issue] = err.details['issues'] as { line?: number; message: string }[];
    expect(issue?.line).toBeGreaterThanOrEqual(2);
    expect(issue?.message).toMatch(/^YAML syntax error at line \d+/);
  });

  it('refuses duplicate keys in YAML', () => {
    const err = failure(() => parsePolicyText('version: 1\nversion: 2\n'));
    expect(err.code).toBe('POLICY_INVALID');
    expect((err.details['issues'] as { line?: number }[])[0]?.line).toBe(2);
  });

  it('turns a JSON syntax error into POLICY_INVALID with the line', () => {
    const err = failure(() =>
      parsePolicyText('{\n  "version": 1,\n  "summary": {}\n  "roles": []\n}', 'json'),
    );
    expect(err.code).toBe('POLICY_INVALID');
    expect((err.details['issues'] as { line?: number }[])[0]?.line).toBe(4);
  });

  it('picks the format by file extension', () => {
    const seed = loadDefaultPolicy();
    const json = join(dir, 'policy.json');
    const yml = join(dir, 'policy.yml');
    writeFileSync(json, JSON.stringify(seed));
    writeFileSync(yml, YAML.stringify(seed));
    expect(loadPolicyFile(json)).toEqual(seed);
    expect(loadPolicyFile(yml)).toEqual(seed);

    // JSON rules apply to .json: YAML syntax in it is an error.
    const fake = join(dir, 'yaml-in.json');
    writeFileSync(fake, YAML.stringify(seed));
    expect(failure(() => loadPolicyFile(fake)).code).toBe('POLICY_INVALID');
    expect(failure(() => loadPolicyFile(join(dir, 'policy.toml'))).code).toBe('POLICY_INVALID');
    expect(failure(() => loadPolicyFile(join(dir, 'missing.yaml'))).message).toContain('ENOENT');
  });
});

describe('loadDefaultPolicy', () => {
  it('loads the seed policy once and freezes it', () => {
    const policy = loadDefaultPolicy();
    expect(loadDefaultPolicy()).toBe(policy);
    expect(policy.version).toBe(1);
    expect(policy.effectiveDate).toBe('2026-11-26');
    expect(policy.controller.name).toBe('Cloud Serviços de Comunicação');
    expect(Object.isFrozen(policy.grants[0]?.categories)).toBe(true);
    expect(() => (policy.categories as unknown[]).push({})).toThrow(TypeError);
  });

  it('declares exactly the ids the rest of Sigilo uses', () => {
    const policy = loadDefaultPolicy();
    expect(policy.categories.map((c) => c.id).sort()).toEqual(
      [
        'name',
        'phone',
        'email',
        'ip_address',
        'postal_address',
        'tax_id',
        'access_record',
        'contract',
        'payment',
        'support_ticket',
        'support_recording',
        'authentication_secret',
        'provisioning_secret',
        'traffic_data',
        'connection_record',
        'call_record',
        'security_incident',
        'authority_request',
        'network_identifier',
      ].sort(),
    );
    expect(policy.categories.every((c) => c.personal && !c.sensitive)).toBe(true);
    expect(policy.purposes.map((p) => p.id)).toEqual([
      'support',
      'contracting',
      'billing',
      'provisioning',
      'legal_obligation',
      'authority_order',
      'subject_request',
    ]);
    expect(policy.roles.map((r) => r.id)).toEqual([
      'support_agent',
      'billing',
      'provisioning',
      'dpo',
      'legal',
      'auditor',
      'admin',
      'subject_portal',
      'network_platform',
      'system',
    ]);
    expect(policy.detectors.fields).toEqual({
      'ticket_message.body': 'redact',
      'ticket.subject': 'reject',
      'note.body': 'quarantine',
      'security_incident.description': 'redact',
      'security_incident.measures': 'redact',
      'security_incident.risks': 'redact',
      'security_incident.delay_reason': 'redact',
    });
    expect(policy.operators).toEqual([]);
  });

  it('declares, with a label, every duty the code asks for', () => {
    expect(loadDefaultPolicy().duties.map((d) => d.id)).toEqual([...DUTIES]);
  });

  it('gives a document without duty grants (one published before duties) the role lists the code held', () => {
    // The lists as src/ wrote them before they became policy duties (retention, holds, authority requests,
    // subject requests, incidents, reports, policy, audit, guard and token routes).
    const before: Record<Duty, string[]> = {
      'legal_hold.read': ['legal', 'dpo', 'auditor'],
      'legal_hold.write': ['legal'],
      'retention.preview': ['dpo', 'legal', 'auditor', 'admin'],
      'certificate.read': ['dpo', 'legal', 'auditor', 'admin'],
      'certificate.verify': ['dpo', 'legal', 'auditor', 'admin'],
      'authority_request.work': ['legal'],
      'authority_request.read_counts': ['legal', 'dpo', 'auditor'],
      'authority_request.read_signing_key': ['legal', 'dpo', 'auditor'],
      'subject_request.work': ['dpo'],
      'subject_request.act_for_own_subject': ['subject_portal'],
      'incident.manage': ['dpo'],
      'processing_record.read': ['dpo', 'auditor'],
      'policy.propose': ['dpo'],
      'policy.approve': ['dpo'],
      'audit_log.read': ['auditor'],
      'quarantine.review': ['dpo'],
      'token.issue': ['admin'],
      'token.list': ['admin', 'dpo'],
      'token.decide': ['dpo'],
      'token.revoke': ['admin'],
    };
    const holders = (p: Policy) =>
      Object.fromEntries(DUTIES.map((d) => [d, [...rolesWithDuty(p, d)].sort()]));
    const sorted = Object.fromEntries(DUTIES.map((d) => [d, [...before[d]].sort()]));
    expect(holders(loadDefaultPolicy())).toEqual(sorted);

    const legacy = seedDoc() as Partial<Policy>;
    delete legacy.duties;
    delete legacy.dutyGrants;
    expect(holders(parsePolicy(legacy))).toEqual(sorted);

    // Only the roles the document declares get them; an explicit empty list gets nothing.
    const fewer = seedDoc() as Partial<Policy>;
    delete fewer.dutyGrants;
    fewer.roles = fewer.roles!.filter((r) => r.id !== 'auditor');
    expect(rolesWithDuty(parsePolicy(fewer), 'legal_hold.read')).toEqual(['dpo', 'legal']);
    expect(rolesWithDuty(parsePolicy({ ...seedDoc(), dutyGrants: [] }), 'legal_hold.read')).toEqual([]);
  });

  it('marks unverified retention sources: call records, traffic data and authority requests', () => {
    const unverified = loadDefaultPolicy()
      .retention.filter((r) => !r.verified)
      .map((r) => r.category);
    expect(unverified.sort()).toEqual(['authority_request', 'call_record', 'traffic_data']);
  });
});
