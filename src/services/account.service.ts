import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import { requireText } from '../validation/input.ts';
import { normaliseTaxId } from '../validation/tax-id.ts';
import { provenanceOf, type Provenance, type Source } from './provenance.ts';

export interface NewAccount {
  kind: 'company' | 'individual';
  name: string;
  /** CPF for an individual, CNPJ (numeric or alphanumeric) for a company. */
  taxId: string;
}

export interface AccountView {
  id: string;
  kind: 'company' | 'individual';
  status: 'active' | 'closed';
  name?: unknown;
  taxId?: unknown;
  createdAt: string;
  provenance: Provenance;
}

/** The contracting customers. The account id is also its data subject id. */
export class AccountService {
  /** Validates and stores a new account; returns its id. */
  async create(s: GateSession, input: NewAccount, source: Source = 'contracting'): Promise<string> {
    const name = requireText(input.name, 'account.name');
    const taxId = normaliseTaxId(input.taxId, 'account.taxId');
    if ((input.kind === 'company') !== (taxId.kind === 'cnpj')) {
      throw new SigiloError(
        input.kind === 'company' ? 'INVALID_CNPJ' : 'INVALID_CPF',
        input.kind === 'company' ? 'a company account needs a CNPJ' : 'an individual account needs a CPF',
        { path: 'account.taxId' },
      );
    }
    const id = await s.newSubject('account');
    await s.insert('accounts', {
      id,
      subjectId: id,
      plain: { kind: input.kind, status: 'active' },
      sealed: { name, taxId: taxId.value },
      source,
    });
    return id;
  }

  /** One account, with the fields this context may read. */
  async get(s: GateSession, id: string): Promise<AccountView> {
    const [row] = await s.find('accounts', { where: { id }, subjectId: id, fields: readable(s) });
    if (!row) throw new SigiloError('NOT_FOUND', 'account not found', { resource: 'account' });
    return toView(row);
  }

  /** Exact lookup by CPF or CNPJ through the blind index. */
  async findByTaxId(s: GateSession, taxId: string): Promise<AccountView[]> {
    const value = normaliseTaxId(taxId, 'taxId').value;
    const rows = await s.find('accounts', { lookup: { field: 'taxId', value }, fields: readable(s) });
    return rows.map(toView);
  }

  /** Marks an account closed (no personal field changes). */
  async close(s: GateSession, id: string): Promise<void> {
    if (!(await s.update('accounts', id, { plain: { status: 'closed' } }))) {
      throw new SigiloError('NOT_FOUND', 'account not found', { resource: 'account' });
    }
  }
}

function readable(s: GateSession): ('name' | 'taxId')[] {
  const out: ('name' | 'taxId')[] = [];
  if (s.may('name', 'read')) out.push('name');
  if (s.may('tax_id', 'read')) out.push('taxId');
  // Asking for nothing readable still goes through the gate, which denies and logs it.
  return out.length ? out : ['name'];
}

function toView(row: {
  id: string;
  plain: Record<string, unknown>;
  fields: Record<string, unknown>;
}): AccountView {
  return {
    id: row.id,
    kind: row.plain.kind as AccountView['kind'],
    status: row.plain.status as AccountView['status'],
    ...('name' in row.fields ? { name: row.fields.name } : {}),
    ...('taxId' in row.fields ? { taxId: row.fields.taxId } : {}),
    createdAt: row.plain.created_at as string,
    provenance: provenanceOf(row.plain),
  };
}
