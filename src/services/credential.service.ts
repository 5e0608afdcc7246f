import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import { requireText } from '../validation/input.ts';
import type { Source } from './provenance.ts';

const MIN_PASSWORD = 12;
const MAX_PASSWORD = 256;

/** Portal passwords (argon2id hash, never readable), provisioning and MFA secrets (sealed, purpose-bound). */
export class CredentialService {
  /** Sets (or replaces) a person's portal password. */
  async setPortalPassword(
    s: GateSession,
    personId: string,
    password: string,
    source: Source = 'subject_portal',
  ): Promise<void> {
    if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      throw new SigiloError(
        'VALIDATION_FAILED',
        `password must have ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`,
        { path: 'password' },
      );
    }
    await assertPerson(s, personId);
    // Replacing a password is a write, not a delete: no grant allows deleting it outside retention sweeps.
    const existing = await s.tx
      .selectFrom('credentials')
      .select('id')
      .where('person_id', '=', personId)
      .where('kind', '=', 'portal_password')
      .executeTakeFirst();
    if (existing) {
      await s.update('portalPasswords', existing.id, { sealed: { secret: password } });
      return;
    }
    await s.insert('portalPasswords', {
      subjectId: personId,
      plain: { person_id: personId },
      sealed: { secret: password, label: 'portal' },
      source,
    });
  }

  /** True when `password` matches the stored hash. */
  async verifyPortalPassword(s: GateSession, personId: string, password: string): Promise<boolean> {
    if (typeof password !== 'string' || password.length > MAX_PASSWORD) return false;
    return s.verifySecret('portalPasswords', { person_id: personId }, password, personId);
  }

  /** Stores a provisioning secret (SIP password, API key) under a label (sealed too); returns its id. */
  async storeProvisioningSecret(
    s: GateSession,
    personId: string,
    label: string,
    secret: string,
    source: Source = 'staff',
  ): Promise<string> {
    const l = requireText(label, 'credential.label', { maxLength: 100 });
    const value = requireText(secret, 'credential.secret', { maxLength: 4096 });
    await assertPerson(s, personId);
    return s.insert('provisioningSecrets', {
      subjectId: personId,
      plain: { person_id: personId },
      sealed: { secret: value, label: l },
      source,
    });
  }

  /** Releases a provisioning secret; the policy allows this only for the provisioning purpose. */
  async revealProvisioningSecret(
    s: GateSession,
    credentialId: string,
  ): Promise<{ id: string; label: string; secret: unknown }> {
    const c = await s.tx
      .selectFrom('credentials')
      .select('subject_id')
      .where('id', '=', credentialId)
      .executeTakeFirst();
    const [row] = await s.find('provisioningSecrets', {
      where: { id: credentialId },
      ...(c ? { subjectId: c.subject_id } : {}),
    });
    if (!row) throw new SigiloError('NOT_FOUND', 'credential not found', { resource: 'credential' });
    return { id: row.id, label: String(row.fields.label), secret: row.fields.secret };
  }

  /**
   * Labels of a person's credentials (opened; sealed like the secrets), through the gate without opening any secret: provisioning secrets need
   * read on provisioning_secret; portal password and MFA rows are listed too when the context may read
   * authentication_secret.
   */
  async list(
    s: GateSession,
    personId: string,
  ): Promise<{ id: string; kind: string; label: string; updatedAt: string }[]> {
    const rows = await s.find('provisioningSecrets', {
      where: { person_id: personId },
      subjectId: personId,
      fields: ['label'],
    });
    if (s.may('authentication_secret', 'read')) {
      for (const name of ['portalPasswords', 'mfaSecrets'] as const) {
        rows.push(
          ...(await s.find(name, { where: { person_id: personId }, subjectId: personId, fields: ['label'] })),
        );
      }
    }
    return rows
      .map((r) => ({
        id: r.id,
        kind: r.plain.kind as string,
        label: String(r.fields.label),
        updatedAt: r.plain.updated_at as string,
        createdAt: r.plain.created_at as string,
      }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map(({ createdAt: _c, ...view }) => view);
  }
}

async function assertPerson(s: GateSession, personId: string): Promise<void> {
  const p = await s.tx.selectFrom('people').select('id').where('id', '=', personId).executeTakeFirst();
  if (!p) throw new SigiloError('NOT_FOUND', 'person not found', { resource: 'person' });
}
