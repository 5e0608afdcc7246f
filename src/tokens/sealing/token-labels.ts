/**
 * A staff token's label is free text an administrator types ("notebook da Joana"): sealed under the staff-text key
 * (src/gate/staff-text.cipher.ts) in `staff_tokens.label_ct`, opened only to show token listings.
 */
import { openStaffText, sealStaffText } from '../../gate/staff-text.cipher.ts';
import type { Keyring } from '../../keys/keyring.ts';
import { sealedView, type Db, type Tx } from '../../store/store.ts';

const TABLE = 'staff_tokens';
const COLUMN = 'label_ct';

/** Seals and reads token labels; built by the composition root with the key ring. */
export class TokenLabels {
  constructor(private readonly keyring: Pick<Keyring, 'staffTextKey'>) {}

  /** Seals `label` into token `id`'s row (in the caller's transaction). */
  async write(tx: Tx, id: string, label: string): Promise<void> {
    await sealedView(tx)
      .updateTable(TABLE)
      .set({ label_ct: sealStaffText(this.keyring, TABLE, id, COLUMN, label) })
      .where('id', '=', id)
      .execute();
  }

  /** The labels of tokens `ids`; INTEGRITY_ERROR when one was tampered with. */
  async read(db: Db | Tx, ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    const rows = await sealedView(db as Db)
      .selectFrom(TABLE)
      .select(['id', 'label_ct'])
      .where('id', 'in', [...ids])
      .execute();
    for (const r of rows) out.set(r.id, openStaffText(this.keyring, TABLE, r.id, COLUMN, r.label_ct));
    return out;
  }
}
