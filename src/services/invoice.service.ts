import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import { requireDate } from './contract.service.ts';
import { provenanceOf, type Provenance, type Source } from './provenance.ts';

export interface NewInvoice {
  contractId: string;
  issuedOn: string;
  amountCents: number;
  currency?: 'BRL';
  dueDate: string;
  paidDate?: string | null;
  reference?: string;
}

export interface InvoiceDetails {
  amountCents: number;
  currency: string;
  dueDate: string;
  paidDate: string | null;
  reference: string | null;
}

export interface InvoiceView {
  id: string;
  contractId: string;
  accountId: string;
  issuedOn: string;
  details?: unknown;
  provenance: Provenance;
}

/** Invoices: amounts and due/paid dates ("datas de pagamento devidas ou recebidas") are sealed. */
export class InvoiceService {
  /** Issues an invoice under a contract; returns its id. */
  async create(s: GateSession, input: NewInvoice, source: Source = 'contracting'): Promise<string> {
    if (!Number.isInteger(input.amountCents) || input.amountCents < 0) {
      throw new SigiloError('VALIDATION_FAILED', 'amountCents must be a non-negative integer', {
        path: 'invoice.amountCents',
      });
    }
    const details: InvoiceDetails = {
      amountCents: input.amountCents,
      currency: input.currency ?? 'BRL',
      dueDate: requireDate(input.dueDate, 'invoice.dueDate'),
      paidDate: input.paidDate ? requireDate(input.paidDate, 'invoice.paidDate') : null,
      reference: input.reference ?? null,
    };
    const issuedOn = requireDate(input.issuedOn, 'invoice.issuedOn');
    const contract = await s.tx
      .selectFrom('contracts')
      .select(['id', 'account_id', 'subject_id'])
      .where('id', '=', input.contractId)
      .executeTakeFirst();
    if (!contract)
      throw new SigiloError('NOT_FOUND', 'contract not found', {
        resource: 'contract',
        path: 'invoice.contractId',
      });
    return s.insert('invoices', {
      subjectId: contract.subject_id,
      plain: { account_id: contract.account_id, contract_id: contract.id, issued_on: issuedOn },
      sealed: { details },
      source,
    });
  }

  /** Records the payment date. */
  async markPaid(s: GateSession, id: string, paidDate: string): Promise<void> {
    const date = requireDate(paidDate, 'invoice.paidDate');
    const inv = await s.tx
      .selectFrom('invoices')
      .select('subject_id')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!inv) throw new SigiloError('NOT_FOUND', 'invoice not found', { resource: 'invoice' });
    const [row] = await s.find('invoices', { where: { id }, subjectId: inv.subject_id });
    const details = { ...(row?.fields.details as InvoiceDetails), paidDate: date };
    await s.update('invoices', id, { sealed: { details } });
  }

  /** Invoices of an account, oldest first. */
  async listForAccount(s: GateSession, accountId: string): Promise<InvoiceView[]> {
    const rows = await s.find('invoices', {
      where: { account_id: accountId },
      subjectId: accountId,
      orderBy: 'issued_on',
    });
    return rows.map((r) => ({
      id: r.id,
      contractId: r.plain.contract_id as string,
      accountId: r.plain.account_id as string,
      issuedOn: r.plain.issued_on as string,
      ...('details' in r.fields ? { details: r.fields.details } : {}),
      provenance: provenanceOf(r.plain),
    }));
  }
}
