import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
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

export interface TicketView {
  id: string;
  accountId: string;
  personId: string | null;
  channel: Channel;
  status: 'open' | 'resolved';
  openedAt: string;
  resolvedAt: string | null;
  title?: unknown;
  messages?: { id: string; author: 'customer' | 'agent'; sentAt: string; body: unknown }[];
  provenance: Provenance;
}

/** Support tickets with their messages. A ticket belongs to the person who opened it, else to the account. */
export class TicketService {
  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Opens a ticket (and its first message); returns its id. */
  async open(s: GateSession, input: NewTicket, source: Source = 'support_contact'): Promise<string> {
    const title = requireText(input.title, 'ticket.title', { maxLength: 200 });
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
      },
      sealed: { title },
      source,
    });
    if (input.message !== undefined) await this.addMessage(s, id, 'customer', input.message, source);
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
    const text = requireText(body, 'message.body', { maxLength: 20_000 });
    const t = await this.plain(s, ticketId);
    return s.insert('ticketMessages', {
      subjectId: t.subject_id,
      plain: { ticket_id: ticketId, author, sent_at: this.now().toISOString() },
      sealed: { body: text },
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
      messages: messages.map((m) => ({
        id: m.id,
        author: m.plain.author as 'customer' | 'agent',
        sentAt: m.plain.sent_at as string,
        body: m.fields.body,
      })),
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
    ...('title' in row.fields ? { title: row.fields.title } : {}),
    provenance: provenanceOf(row.plain),
  };
}
