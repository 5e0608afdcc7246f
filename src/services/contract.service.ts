import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import { requireText } from '../validation/input.ts';
import { provenanceOf, type Provenance, type Source } from './provenance.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface NewContract {
  accountId: string;
  product: string;
  plan?: string;
  startedOn: string;
  notes?: string;
}

export interface ContractView {
  id: string;
  accountId: string;
  status: 'active' | 'terminated';
  startedOn: string;
  endedOn: string | null;
  terms?: unknown;
  provenance: Provenance;
}

export interface ContractEventView {
  id: string;
  kind: string;
  occurredAt: string;
  details?: unknown;
}

/** Contracts and their history; every change appends a history event in the same transaction. */
export class ContractService {
  /** Signs a new contract for an account; returns its id. */
  async create(s: GateSession, input: NewContract, source: Source = 'contracting'): Promise<string> {
    const product = requireText(input.product, 'contract.product', { maxLength: 120 });
    const startedOn = requireDate(input.startedOn, 'contract.startedOn');
    const account = await s.tx
      .selectFrom('accounts')
      .select(['id', 'subject_id'])
      .where('id', '=', input.accountId)
      .executeTakeFirst();
    if (!account)
      throw new SigiloError('NOT_FOUND', 'account not found', {
        resource: 'account',
        path: 'contract.accountId',
      });
    const terms = { product, plan: input.plan ?? null, notes: input.notes ?? null };
    const id = await s.insert('contracts', {
      subjectId: account.subject_id,
      plain: { account_id: account.id, status: 'active', started_on: startedOn, ended_on: null },
      sealed: { terms },
      source,
    });
    await this.event(
      s,
      id,
      account.subject_id,
      'signed',
      `${startedOn}T00:00:00.000Z`,
      { product, plan: terms.plan },
      source,
    );
    return id;
  }

  /** Terminates an active contract on `endedOn` (retention periods count from this date). */
  async terminate(s: GateSession, id: string, endedOn: string, reason?: string): Promise<void> {
    const date = requireDate(endedOn, 'contract.endedOn');
    const c = await this.plain(s, id);
    if (c.status !== 'active')
      throw new SigiloError('CONFLICT', 'contract is not active', { resource: 'contract' });
    if (date < c.started_on)
      throw new SigiloError('VALIDATION_FAILED', 'endedOn is before startedOn', { path: 'contract.endedOn' });
    await s.update('contracts', id, { plain: { status: 'terminated', ended_on: date } });
    await this.event(
      s,
      id,
      c.subject_id,
      'terminated',
      `${date}T00:00:00.000Z`,
      { reason: reason ?? null },
      'staff',
    );
  }

  /** Changes product/plan; the previous terms stay in the history. */
  async amend(
    s: GateSession,
    id: string,
    change: { product?: string; plan?: string; notes?: string },
  ): Promise<void> {
    const c = await this.plain(s, id);
    const [current] = await s.find('contracts', {
      where: { id },
      subjectId: c.subject_id,
      fields: ['terms'],
    });
    const before = (current?.fields.terms ?? {}) as Record<string, unknown>;
    const terms = { ...before, ...change };
    await s.update('contracts', id, { sealed: { terms } });
    await this.event(
      s,
      id,
      c.subject_id,
      'amended',
      new Date().toISOString(),
      { before, after: terms },
      'staff',
    );
  }

  /** One contract with the terms when this context may read them. */
  async get(s: GateSession, id: string): Promise<ContractView> {
    const c = await this.plain(s, id);
    const [row] = await s.find('contracts', { where: { id }, subjectId: c.subject_id });
    if (!row) throw new SigiloError('NOT_FOUND', 'contract not found', { resource: 'contract' });
    return toView(row);
  }

  /** Every contract of an account. */
  async listForAccount(s: GateSession, accountId: string): Promise<ContractView[]> {
    const rows = await s.find('contracts', {
      where: { account_id: accountId },
      subjectId: accountId,
      orderBy: 'started_on',
    });
    return rows.map(toView);
  }

  /** The contract's history, oldest first. */
  async history(s: GateSession, id: string): Promise<ContractEventView[]> {
    const c = await this.plain(s, id);
    const rows = await s.find('contractEvents', {
      where: { contract_id: id },
      subjectId: c.subject_id,
      orderBy: 'occurred_at',
    });
    return rows.map((r) => ({
      id: r.id,
      kind: r.plain.kind as string,
      occurredAt: r.plain.occurred_at as string,
      details: r.fields.details,
    }));
  }

  private async plain(
    s: GateSession,
    id: string,
  ): Promise<{ subject_id: string; status: string; started_on: string }> {
    const c = await s.tx
      .selectFrom('contracts')
      .select(['subject_id', 'status', 'started_on'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!c) throw new SigiloError('NOT_FOUND', 'contract not found', { resource: 'contract' });
    return c;
  }

  private async event(
    s: GateSession,
    contractId: string,
    subjectId: string,
    kind: string,
    occurredAt: string,
    details: unknown,
    source: Source,
  ): Promise<void> {
    await s.insert('contractEvents', {
      subjectId,
      plain: { contract_id: contractId, kind, occurred_at: occurredAt },
      sealed: { details },
      source,
    });
  }
}

function toView(row: {
  id: string;
  plain: Record<string, unknown>;
  fields: Record<string, unknown>;
}): ContractView {
  return {
    id: row.id,
    accountId: row.plain.account_id as string,
    status: row.plain.status as ContractView['status'],
    startedOn: row.plain.started_on as string,
    endedOn: (row.plain.ended_on as string | null) ?? null,
    ...('terms' in row.fields ? { terms: row.fields.terms } : {}),
    provenance: provenanceOf(row.plain),
  };
}

/** A calendar date `YYYY-MM-DD` that exists. */
export function requireDate(value: unknown, path: string): string {
  if (
    typeof value !== 'string' ||
    !DATE.test(value) ||
    Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
  ) {
    throw new SigiloError('VALIDATION_FAILED', `${path} must be a date YYYY-MM-DD`, { path });
  }
  return value;
}
