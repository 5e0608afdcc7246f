/** Support tickets and their messages. */
import { access } from '../../route-access.ts';
import type { FastifyPluginCallbackTypebox, Static } from '@fastify/type-provider-typebox';
import type { TicketView } from '../../../services/ticket.service.ts';
import { Created, NoContent, optText, PurposeHeaders, responses } from '../common.schema.ts';
import { gated, type RouteDeps } from '../gated.ts';
import {
  AccountParams,
  NewMessageBody,
  NewTicketBody,
  Ticket,
  TicketList,
  TicketParams,
} from './tickets.schema.ts';

export const ticketRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { tickets } = deps.services;

  app.post(
    '/tickets',
    {
      config: { access: [access('write', 'support_ticket')] },
      schema: {
        tags: ['tickets'],
        summary: 'Open a ticket (with its first message)',
        headers: PurposeHeaders,
        body: NewTicketBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { source, ...input } = request.body;
      const id = await gated(deps, request, (s) => tickets.open(s, input, source));
      return reply.code(201).send({ id });
    },
  );

  app.get(
    '/tickets/:ticketId',
    {
      config: { access: [access('read', 'support_ticket')] },
      schema: {
        tags: ['tickets'],
        summary: 'Read a ticket with its messages',
        headers: PurposeHeaders,
        params: TicketParams,
        response: responses({ 200: Ticket }),
      },
    },
    async (request) =>
      presentTicket(await gated(deps, request, (s) => tickets.get(s, request.params.ticketId))),
  );

  app.post(
    '/tickets/:ticketId/messages',
    {
      config: { access: [access('write', 'support_ticket')] },
      schema: {
        tags: ['tickets'],
        summary: 'Add a message',
        headers: PurposeHeaders,
        params: TicketParams,
        body: NewMessageBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { author, body, source } = request.body;
      const id = await gated(deps, request, (s) =>
        tickets.addMessage(s, request.params.ticketId, author, body, source),
      );
      return reply.code(201).send({ id });
    },
  );

  app.post(
    '/tickets/:ticketId/resolve',
    {
      config: { access: [access('write', 'support_ticket')] },
      schema: {
        tags: ['tickets'],
        summary: 'Mark a ticket resolved (its retention period starts now)',
        headers: PurposeHeaders,
        params: TicketParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await gated(deps, request, (s) => tickets.resolve(s, request.params.ticketId));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/accounts/:accountId/tickets',
    {
      config: { access: [access('read', 'support_ticket')] },
      schema: {
        tags: ['tickets'],
        summary: 'Tickets of an account (titles only)',
        headers: PurposeHeaders,
        params: AccountParams,
        response: responses({ 200: TicketList }),
      },
    },
    async (request) => ({
      tickets: (await gated(deps, request, (s) => tickets.listForAccount(s, request.params.accountId))).map(
        presentTicket,
      ),
    }),
  );

  done();
};

/** A ticket as the wire shows it (masked values are text). */
export function presentTicket(v: TicketView): Static<typeof Ticket> {
  return {
    ...v,
    title: optText(v.title),
    messages: v.messages?.map((m) => ({ ...m, body: String(m.body) })),
  };
}
