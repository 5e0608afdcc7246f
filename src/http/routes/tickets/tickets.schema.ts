import { Type } from '@fastify/type-provider-typebox';
import { CHANNELS } from '../../../services/ticket.service.ts';
import { Id, Provenance, Source, StringEnum, Timestamp } from '../common.schema.ts';

const Body = Type.String({ minLength: 1, maxLength: 20_000 });
const Author = StringEnum(['customer', 'agent'] as const);

export const NewTicketBody = Type.Object(
  {
    accountId: Id,
    personId: Type.Optional(Id),
    channel: StringEnum(CHANNELS),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    message: Type.Optional(Body),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
);

export const NewMessageBody = Type.Object(
  { author: Author, body: Body, source: Type.Optional(Source) },
  { additionalProperties: false },
);

export const TicketParams = Type.Object({ ticketId: Id });
export const AccountParams = Type.Object({ accountId: Id });

export const Ticket = Type.Object({
  id: Id,
  accountId: Id,
  personId: Type.Union([Id, Type.Null()]),
  channel: StringEnum(CHANNELS),
  status: StringEnum(['open', 'resolved'] as const),
  openedAt: Timestamp,
  resolvedAt: Type.Union([Timestamp, Type.Null()]),
  title: Type.Optional(Type.String()),
  titleQuarantined: Type.Boolean({
    description: 'True while the title is held for DPO review; `title` is then a placeholder.',
  }),
  messages: Type.Optional(
    Type.Array(
      Type.Object({
        id: Id,
        author: Author,
        sentAt: Timestamp,
        body: Type.String(),
        quarantined: Type.Boolean({
          description: 'True while the message is held for DPO review; `body` is then a placeholder.',
        }),
      }),
    ),
  ),
  provenance: Provenance,
});

export const TicketList = Type.Object({ tickets: Type.Array(Ticket) });
