/** Invoices: amounts and due/paid dates ("datas de pagamento devidas ou recebidas"). */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Created, NoContent, PurposeHeaders, responses } from '../common.schema.ts';
import { gated, type RouteDeps } from '../gated.ts';
import { AccountParams, InvoiceList, InvoiceParams, NewInvoiceBody, PaymentBody } from './invoices.schema.ts';
import { access } from '../../route-access.ts';

export const invoiceRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { invoices } = deps.services;

  app.post(
    '/invoices',
    {
      config: { access: [access('write', 'payment')] },
      schema: {
        tags: ['invoices'],
        summary: 'Issue an invoice under a contract',
        headers: PurposeHeaders,
        body: NewInvoiceBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { source, ...input } = request.body;
      const id = await gated(deps, request, (s) => invoices.create(s, input, source));
      return reply.code(201).send({ id });
    },
  );

  app.post(
    '/invoices/:invoiceId/payment',
    {
      config: { access: [access('read', 'payment'), access('write', 'payment')] },
      schema: {
        tags: ['invoices'],
        summary: 'Record the payment date',
        headers: PurposeHeaders,
        params: InvoiceParams,
        body: PaymentBody,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await gated(deps, request, (s) =>
        invoices.markPaid(s, request.params.invoiceId, request.body.paidDate),
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/accounts/:accountId/invoices',
    {
      config: { access: [access('read', 'payment')] },
      schema: {
        tags: ['invoices'],
        summary: 'Invoices of an account, oldest first',
        headers: PurposeHeaders,
        params: AccountParams,
        response: responses({ 200: InvoiceList }),
      },
    },
    async (request) => ({
      invoices: await gated(deps, request, (s) => invoices.listForAccount(s, request.params.accountId)),
    }),
  );

  done();
};
