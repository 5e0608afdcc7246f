/**
 * Blocked processing (LGPD Art. 18 IV): a subject's category that a blocking request withdrew from processing is
 * kept, but every gated access to it under a purpose the policy does not mark `continuesWhenBlocked` (legal
 * obligation, the defence of rights, the subject's own requests) is refused PROCESSING_BLOCKED and logged as
 * denied. The blocks of a subject are read once per session, and only under a purpose that blocks can stop.
 */
import type { Policy } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import type { AccessContext } from './access-context.ts';
import type { AccessDecisions } from './access-decisions.ts';

/** One session's view of the blocks of the subjects it touches. */
export class ProcessingBlocks {
  private readonly bySubject = new Map<string, ReadonlySet<string>>();
  private readonly exempt: boolean;

  constructor(
    policy: Policy,
    ctx: AccessContext,
    private readonly tx: Tx,
    private readonly decisions: AccessDecisions,
  ) {
    this.exempt = policy.purposes.some((p) => p.id === ctx.purpose && p.continuesWhenBlocked === true);
  }

  /** Refuses (logged, PROCESSING_BLOCKED) when any of `subjects` has any of `categories` blocked. */
  async assertOpen(
    subjects: Iterable<string>,
    categories: readonly string[],
    logOperation: string,
  ): Promise<void> {
    if (this.exempt) return;
    for (const subject of new Set(subjects)) {
      const blocked = await this.of(subject);
      const hit = categories.find((c) => blocked.has(c));
      if (hit !== undefined) {
        this.decisions.fail(
          logOperation,
          subject,
          [...categories],
          'denied',
          'PROCESSING_BLOCKED',
          `category ${hit} is blocked at the subject's request`,
          { category: hit },
        );
      }
    }
  }

  /** Records blocks for `categories` of `subject` (idempotent); the caller has authorised and logs them. */
  async add(subject: string, categories: readonly string[], requestId: string, at: string): Promise<void> {
    const have = await this.of(subject);
    const rows = categories
      .filter((c) => !have.has(c))
      .map((category) => ({ subject_id: subject, category, request_id: requestId, blocked_at: at }));
    if (rows.length > 0) await this.tx.insertInto('processing_blocks').values(rows).execute();
    this.bySubject.set(subject, new Set([...have, ...categories]));
  }

  /** Notes a subject whose row this session's transaction inserted: it has no blocks to read yet. */
  subjectCreated(subject: string): void {
    this.bySubject.set(subject, new Set());
  }

  /** The categories blocked for `subject`. */
  async of(subject: string): Promise<ReadonlySet<string>> {
    let blocked = this.bySubject.get(subject);
    if (!blocked) {
      const rows = await this.tx
        .selectFrom('processing_blocks')
        .select('category')
        .where('subject_id', '=', subject)
        .execute();
      blocked = new Set(rows.map((r) => r.category));
      this.bySubject.set(subject, blocked);
    }
    return blocked;
  }
}
