import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import type { FreeTextGuard, GuardVerdict } from '../guard/free-text.guard.ts';
import { requireText } from '../validation/input.ts';
import { provenanceOf, type Provenance, type Source } from './provenance.ts';

export const CHANNELS = ['phone', 'email', 'portal', 'chat'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface NewTicket {
  accountId: string;
  personId?: string;
  channel: Channel;
  title: string;
  message?: string;
}

/** The policy names of the guarded ticket fields (detectors.fields in the policy). */
export const TICKET_TITLE_FIELD = 'ticket.subject';
export const TICKET_MESSAGE_FIELD = 'ticket_message.body';

/** Shown instead of text the guard holds for DPO review. */
export const QUARANTINED_TEXT = '[em revisão pelo encarregado de dados]';

export interface TicketView {
  id: string;
  accountId: string;
  personId: string | null;
  channel: Channel;
  status: 'open' | 'resolved';
  openedAt: string;
  resolvedAt: string | null;
  title?: unknown;
  /** True while the title is held for DPO review (`title` is then a placeholder). */
  titleQuarantined: boolean;
  messages?: {
    id: string;
    author: 'customer' | 'agent';
    sentAt: string;
    body: unknown;
    quarantined: boolean;
  }[];
  provenance: Provenance;
}

/** The plain columns that record a guard verdict. */
function guardColumns(v: GuardVerdict): {
  guard_status: 'clear' | 'quarantined';
  guard_classes: string | null;
} {
  return v.action === 'quarantine'
    ? { guard_status: 'quarantined', guard_classes: v.classes.join(',') }
    : { guard_status: 'clear', guard_classes: null };
}

/**
 * Support tickets with their messages. A ticket belongs to the person who opened it, else to the account.
 * Titles and message bodies pass the sensitive-data guard before they are sealed: the policy rejects, redacts
 * or holds them for DPO review (a held text is stored sealed and shown as a placeholder until reviewed).
 */
export class TicketService {
  constructor(
    private readonly guard: FreeTextGuard,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Opens a ticket (and its first message); returns its id. */
  async open(s: GateSession, input: NewTicket, source: Source = 'support_contact'): Promise<string> {
    const title = this.guard.check(
      TICKET_TITLE_FIELD,
      requireText(input.title, 'ticket.title', { maxLength: 200 }),
      'ticket.title',
    );
    // Checked before anything is written: a rejected message must not leave a ticket behind.
    const message =
      input.message === undefined
        ? undefined
        : this.guard.check(
            TICKET_MESSAGE_FIELD,
            requireText(input.message, 'ticket.message', { maxLength: 20_000 }),
            'ticket.message',
          );
    if (!CHANNELS.includes(input.channel)) {
      throw new SigiloError('VALIDATION_FAILED', `ticket.channel must be one of ${CHANNELS.join(', ')}`, {
        path: 'ticket.channel',
      });
    }
    const account = await s.tx
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', input.accountId)
      .executeTakeFirst();
    if (!account)
      throw new SigiloError('NOT_FOUND', 'account not found', {
        resource: 'account',
        path: 'ticket.accountId',
      });
    if (input.personId) {
      const person = await s.tx
        .selectFrom('people')
        .select('id')
        .where('id', '=', input.personId)
        .executeTakeFirst();
      if (!person)
        throw new SigiloError('NOT_FOUND', 'person not found', {
          resource: 'person',
          path: 'ticket.personId',
        });
    }
    const subjectId = input.personId ?? input.accountId;
    const at = this.now().toISOString();
    const id = await s.insert('tickets', {
      subjectId,
      plain: {
        account_id: input.accountId,
        person_id: input.personId ?? null,
        channel: input.channel,
        status: 'open',
        opened_at: at,
        resolved_at: null,
        ...guardColumns(title),
      },
      sealed: { title: title.text },
      source,
    });
    if (message) await this.insertMessage(s, id, subjectId, 'customer', message, source);
    return id;
  }

  /** Appends a message to a ticket. */
  async addMessage(
    s: GateSession,
    ticketId: string,
    author: 'customer' | 'agent',
    body: string,
    source: Source = 'support_contact',
  ): Promise<string> {
    const verdict = this.guard.check(
      TICKET_MESSAGE_FIELD,
      requireText(body, 'message.body', { maxLength: 20_000 }),
      'message.body',
    );
    const t = await this.plain(s, ticketId);
    return this.insertMessage(s, ticketId, t.subject_id, author, verdict, source);
  }

  private insertMessage(
    s: GateSession,
    ticketId: string,
    subjectId: string,
    author: 'customer' | 'agent',
    verdict: GuardVerdict,
    source: Source,
  ): Promise<string> {
    return s.insert('ticketMessages', {
      subjectId,
      plain: { ticket_id: ticketId, author, sent_at: this.now().toISOString(), ...guardColumns(verdict) },
      sealed: { body: verdict.text },
      source,
    });
  }

  /** Marks a ticket resolved (its retention period starts now). */
  async resolve(s: GateSession, ticketId: string): Promise<void> {
    const t = await this.plain(s, ticketId);
    if (t.status === 'resolved') return;
    await s.update('tickets', ticketId, {
      plain: { status: 'resolved', resolved_at: this.now().toISOString() },
    });
  }

  /** One ticket with its messages. */
  async get(s: GateSession, ticketId: string): Promise<TicketView> {
    const t = await this.plain(s, ticketId);
    const [row] = await s.find('tickets', { where: { id: ticketId }, subjectId: t.subject_id });
    if (!row) throw new SigiloError('NOT_FOUND', 'ticket not found', { resource: 'ticket' });
    const messages = await s.find('ticketMessages', {
      where: { ticket_id: ticketId },
      subjectId: t.subject_id,
      orderBy: 'sent_at',
    });
    return {
      ...toView(row),
      messages: messages.map((m) => {
        const quarantined = m.plain.guard_status === 'quarantined';
        return {
          id: m.id,
          author: m.plain.author as 'customer' | 'agent',
          sentAt: m.plain.sent_at as string,
          body: quarantined ? QUARANTINED_TEXT : m.fields.body,
          quarantined,
        };
      }),
    };
  }

  /** Tickets of an account, newest last (titles only). */
  async listForAccount(s: GateSession, accountId: string): Promise<TicketView[]> {
    const rows = await s.find('tickets', { where: { account_id: accountId }, orderBy: 'opened_at' });
    return rows.map(toView);
  }

  private async plain(s: GateSession, id: string): Promise<{ subject_id: string; status: string }> {
    const t = await s.tx
      .selectFrom('tickets')
      .select(['subject_id', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!t) throw new SigiloError('NOT_FOUND', 'ticket not found', { resource: 'ticket' });
    return t;
  }
}

function toView(row: {
  id: string;
  plain: Record<string, unknown>;
  fields: Record<string, unknown>;
}): TicketView {
  return {
    id: row.id,
    accountId: row.plain.account_id as string,
    personId: (row.plain.person_id as string | null) ?? null,
    channel: row.plain.channel as Channel,
    status: row.plain.status as TicketView['status'],
    openedAt: row.plain.opened_at as string,
    resolvedAt: (row.plain.resolved_at as string | null) ?? null,
    ...('title' in row.fields
      ? { title: row.plain.guard_status === 'quarantined' ? QUARANTINED_TEXT : row.fields.title }
      : {}),
    titleQuarantined: row.plain.guard_status === 'quarantined',
    provenance: provenanceOf(row.plain),
  };
}
