import { Type } from '@fastify/type-provider-typebox';
import { Id, IsoDate, Provenance, Source } from '../common.schema.ts';

export const NewInvoiceBody = Type.Object(
  {
    contractId: Id,
    issuedOn: IsoDate,
    amountCents: Type.Integer({ minimum: 0, maximum: 1_000_000_000_00, description: 'Amount in centavos.' }),
    currency: Type.Optional(Type.Literal('BRL')),
    dueDate: IsoDate,
    paidDate: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    reference: Type.Optional(Type.String({ maxLength: 120 })),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
);

export const PaymentBody = Type.Object({ paidDate: IsoDate }, { additionalProperties: false });

export const InvoiceParams = Type.Object({ invoiceId: Id });
export const AccountParams = Type.Object({ accountId: Id });

export const Invoice = Type.Object({
  id: Id,
  contractId: Id,
  accountId: Id,
  issuedOn: IsoDate,
  details: Type.Optional(
    Type.Unknown({ description: 'amountCents, currency, dueDate, paidDate, reference (or a masked text).' }),
  ),
  provenance: Provenance,
});

export const InvoiceList = Type.Object({ invoices: Type.Array(Invoice) });
