import { hash } from 'node:crypto';
import { SigiloError } from '../errors.ts';
import { isLoosening } from '../policy/policy.diff.ts';
import { parsePolicy } from '../policy/policy.loader.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { SecurityEventLog } from '../access-log/security-events.ts';
import type { ChainedEntry } from '../access-log/access-log.entry.ts';
import type { Store } from '../store/store.ts';
import { PolicyVersionRepository } from './policy-version.repository.ts';

/**
 * Holds the published policy the gate enforces. Publishing stores the validated document as a new version
 * (versions only grow; the text is always rendered from a stored version) and swaps it in atomically.
 */
export class PolicyPublication {
  private readonly repo = new PolicyVersionRepository();
  private current: Policy | null = null;
  /** The purposes each published version declared: what a record collected under it may be used for. */
  private readonly declared = new Map<number, ReadonlySet<string>>();

  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    /** Records each publication in the access log, in its transaction (absent only during `sigilo init`). */
    private readonly audit: Pick<SecurityEventLog, 'appendIn' | 'committed'> | null = null,
  ) {}

  /** Loads the newest published version; NOT_INITIALISED when nothing was ever published. */
  async load(): Promise<Policy> {
    const latest = await this.repo.latest(this.store.db);
    if (!latest) throw new SigiloError('NOT_INITIALISED', 'no policy has been published; run `sigilo init`');
    this.current = parsePolicy(JSON.parse(latest.document));
    // Older documents are read for their purpose ids only: a later schema need not parse them whole.
    for (const v of await this.repo.documents(this.store.db)) {
      const doc = JSON.parse(v.document) as { purposes?: { id?: unknown }[] };
      const ids = (doc.purposes ?? []).map((p) => p.id).filter((id) => typeof id === 'string');
      this.declared.set(v.version, new Set(ids));
    }
    return this.current;
  }

  /** The purposes version `version` declared; undefined for a version never published. */
  purposesOf(version: number): ReadonlySet<string> | undefined {
    return this.declared.get(version);
  }

  /** The policy in force. */
  policy(): Policy {
    if (!this.current) throw new SigiloError('NOT_INITIALISED', 'policy not loaded');
    return this.current;
  }

  /** Validates and publishes `policy` (its version must be the next one) and makes it the one in force. */
  async publish(
    input: Policy,
    publishedBy: string,
    context: { role?: string; requestId?: string } = {},
  ): Promise<{ version: number }> {
    // Validated here, not only at load: a stored invalid version would stop every later start of Sigilo.
    // parsePolicy also returns a frozen copy, so the caller cannot change the policy in force afterwards.
    const policy = parsePolicy(input);
    const document = JSON.stringify(policy);
    const logged = await this.store.transaction(async (tx): Promise<ChainedEntry[]> => {
      const latest = await this.repo.latest(tx);
      const expected = (latest?.version ?? 0) + 1;
      if (policy.version !== expected) {
        throw new SigiloError('CONFLICT', `policy version must be ${expected}`, {
          expected,
          got: policy.version,
        });
      }
      await this.repo.insert(tx, {
        version: policy.version,
        effectiveDate: policy.effectiveDate,
        document,
        documentHash: hash('sha256', document, 'hex'),
        publishedAt: this.now().toISOString(),
        publishedBy,
      });
      return (
        (await this.audit?.appendIn(tx, {
          operation: 'policy.publish',
          outcome: 'allowed',
          actor: publishedBy,
          role: context.role ?? 'none',
          reason: `version ${policy.version}`,
          requestId: context.requestId ?? 'policy-publication',
          policyVersion: policy.version,
        })) ?? []
      );
    });
    this.audit?.committed(logged);
    this.declared.set(policy.version, new Set(policy.purposes.map((p) => p.id)));
    this.current = policy;
    return { version: policy.version };
  }

  /**
   * A DPO proposes `input` as the next version. One that does not loosen protection is published at once; one
   * that loosens it (a new grant or purpose use, lower masking, longer retention, weaker detection) waits for a
   * second DPO's `approve`. A newer proposal of the same version replaces a pending one.
   */
  async propose(
    input: Policy,
    proposedBy: string,
  ): Promise<{ version: number; status: 'published' | 'pending_approval'; loosening: boolean }> {
    const policy = parsePolicy(input);
    const loosening = isLoosening(this.policy(), policy);
    if (!loosening) {
      await this.publish(policy, proposedBy);
      return { version: policy.version, status: 'published', loosening };
    }
    await this.store.transaction(async (tx) => {
      const latest = await this.repo.latest(tx);
      const expected = (latest?.version ?? 0) + 1;
      if (policy.version !== expected) {
        throw new SigiloError('CONFLICT', `policy version must be ${expected}`, {
          expected,
          got: policy.version,
        });
      }
      await tx
        .deleteFrom('policy_proposals')
        .where('version', '=', policy.version)
        .where('status', '=', 'pending')
        .execute();
      await tx
        .insertInto('policy_proposals')
        .values({
          version: policy.version,
          document: JSON.stringify(policy),
          proposed_by: proposedBy,
          proposed_at: this.now().toISOString(),
          status: 'pending',
          approved_by: null,
          approved_at: null,
        })
        .execute();
    });
    return { version: policy.version, status: 'pending_approval', loosening };
  }

  /** A second DPO approves a pending loosening proposal, which is then published (both names recorded). */
  async approve(version: number, approvedBy: string): Promise<{ version: number }> {
    const proposal = await this.store.db
      .selectFrom('policy_proposals')
      .selectAll()
      .where('version', '=', version)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (!proposal) {
      throw new SigiloError('POLICY_NOT_FOUND', `no pending proposal for policy version ${version}`, {
        version,
      });
    }
    if (proposal.proposed_by === approvedBy) {
      throw new SigiloError(
        'SECOND_APPROVAL_REQUIRED',
        'a loosening version needs the approval of a DPO other than the one who proposed it',
        { version },
      );
    }
    const published = await this.publish(
      parsePolicy(JSON.parse(proposal.document)),
      `${proposal.proposed_by}; approved by ${approvedBy}`,
    );
    await this.store.db
      .updateTable('policy_proposals')
      .set({ status: 'published', approved_by: approvedBy, approved_at: this.now().toISOString() })
      .where('version', '=', version)
      .execute();
    return published;
  }

  /** One stored version, parsed. */
  async version(version: number): Promise<Policy> {
    const v = await this.repo.get(this.store.db, version);
    if (!v)
      throw new SigiloError('POLICY_NOT_FOUND', `policy version ${version} does not exist`, { version });
    return parsePolicy(JSON.parse(v.document));
  }

  /** Every published version's metadata. */
  list(): ReturnType<PolicyVersionRepository['list']> {
    return this.repo.list(this.store.db);
  }
}
