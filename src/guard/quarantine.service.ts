/**
 * The DPO's review queue for free text the guard held (policy action `quarantine`). Items are named by kind and
 * row id; the queue itself holds only ids, times and class names. Every decision goes through the gate, so the
 * access log records who approved, redacted or deleted what, for which purpose and request.
 */
import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import { redactText, scanText } from './guard.ts';
import { GUARD_CLASSES, type GuardClass } from './guard-classes.ts';

export const QUARANTINE_KINDS = ['ticket_title', 'ticket_message'] as const;
export type QuarantineKind = (typeof QUARANTINE_KINDS)[number];

export interface QuarantineItem {
  kind: QuarantineKind;
  id: string;
  ticketId: string;
  classes: GuardClass[];
  heldAt: string;
}

/** What replaces a held title the DPO deletes (a ticket cannot exist without one). */
export const DELETED_TITLE = '[removido pelo encarregado de dados]';

const CATEGORY = 'support_ticket';
const known = new Set<string>(GUARD_CLASSES);
const parseClasses = (value: string | null): GuardClass[] =>
  (value ?? '').split(',').filter((c): c is GuardClass => known.has(c));

export class QuarantineService {
  /** The pending items, oldest first. */
  async list(s: GateSession, limit = 100): Promise<QuarantineItem[]> {
    // The queue has no personal values, but it says whose tickets mention what: same grant as reading them.
    this.requireGrant(s, 'read');
    const titles = await s.tx
      .selectFrom('tickets')
      .select(['id', 'guard_classes', 'opened_at'])
      .where('guard_status', '=', 'quarantined')
      .orderBy('opened_at')
      .limit(limit)
      .execute();
    const messages = await s.tx
      .selectFrom('ticket_messages')
      .select(['id', 'ticket_id', 'guard_classes', 'sent_at'])
      .where('guard_status', '=', 'quarantined')
      .orderBy('sent_at')
      .limit(limit)
      .execute();
    return [
      ...titles.map((t) => ({
        kind: 'ticket_title' as const,
        id: t.id,
        ticketId: t.id,
        classes: parseClasses(t.guard_classes),
        heldAt: t.opened_at,
      })),
      ...messages.map((m) => ({
        kind: 'ticket_message' as const,
        id: m.id,
        ticketId: m.ticket_id,
        classes: parseClasses(m.guard_classes),
        heldAt: m.sent_at,
      })),
    ]
      .sort((a, b) => a.heldAt.localeCompare(b.heldAt) || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  /** Releases the text as written. */
  async approve(s: GateSession, kind: QuarantineKind, id: string): Promise<void> {
    s.demand(CATEGORY, 'write', 'quarantine.approve');
    await this.pending(s, kind, id);
    await s.update(this.table(kind), id, { plain: CLEAR });
  }

  /** Replaces every finding in the held text with its mark and releases the rest. */
  async redact(s: GateSession, kind: QuarantineKind, id: string): Promise<void> {
    s.demand(CATEGORY, 'read', 'quarantine.redact');
    s.demand(CATEGORY, 'write', 'quarantine.redact');
    const subjectId = await this.pending(s, kind, id);
    if (kind === 'ticket_title') {
      const [row] = await s.find('tickets', { where: { id }, subjectId, fields: ['title'] });
      const text = unmasked(row?.fields.title, row?.masking.title);
      await s.update('tickets', id, { plain: CLEAR, sealed: { title: redactText(text, scanText(text)) } });
    } else {
      const [row] = await s.find('ticketMessages', { where: { id }, subjectId, fields: ['body'] });
      const text = unmasked(row?.fields.body, row?.masking.body);
      await s.update('ticketMessages', id, {
        plain: CLEAR,
        sealed: { body: redactText(text, scanText(text)) },
      });
    }
  }

  /** Deletes the held message, or replaces a held title with a fixed mark. */
  async delete(s: GateSession, kind: QuarantineKind, id: string): Promise<void> {
    // Replacing a held title by a fixed mark deletes its text as surely as deleting a message.
    s.demand(CATEGORY, 'delete', 'quarantine.delete');
    const subjectId = await this.pending(s, kind, id);
    if (kind === 'ticket_message') await s.delete('ticketMessages', { id }, subjectId);
    else await s.update('tickets', id, { plain: CLEAR, sealed: { title: DELETED_TITLE } });
  }

  private table(kind: QuarantineKind): 'tickets' | 'ticketMessages' {
    return kind === 'ticket_title' ? 'tickets' : 'ticketMessages';
  }

  /** The subject of a pending item; NOT_FOUND when there is no such item or it is not held. */
  private async pending(s: GateSession, kind: QuarantineKind, id: string): Promise<string> {
    const row = await s.tx
      .selectFrom(kind === 'ticket_title' ? 'tickets' : 'ticket_messages')
      .select(['subject_id', 'guard_status'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.guard_status !== 'quarantined') {
      throw new SigiloError('NOT_FOUND', 'no held text with this id', { resource: 'quarantine_item' });
    }
    return row.subject_id;
  }

  private requireGrant(s: GateSession, operation: 'read'): void {
    // Refused with the gate's code and logged like any other refusal (a bare check here once left no trace).
    s.demand(CATEGORY, operation, 'quarantine.list');
  }
}

const CLEAR = { guard_status: 'clear', guard_classes: null } as const;

/** The opened text, refusing a masked one: writing a masked copy back would destroy the original. */
function unmasked(value: unknown, masking: string | undefined): string {
  if (masking !== 'none' || typeof value !== 'string') {
    throw new SigiloError('PURPOSE_NOT_ALLOWED', 'access denied: redacting needs the unmasked text', {
      category: CATEGORY,
    });
  }
  return value;
}
