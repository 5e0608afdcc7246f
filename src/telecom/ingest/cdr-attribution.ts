/**
 * Normalises parsed CDRs and assigns each to its account, per batch: the CPU half of an import, run on the
 * gate's worker threads (see src/gate/telecom-prepare.pool.ts) or in the calling thread.
 */
import type { Attributor } from '../attribution/attribution.ts';
import type { ParsedCdr } from '../formats/cdr-record.ts';
import { cdrNumbers, storableCdr, type StorableRecord } from '../records/telecom-record.ts';

export const UNATTRIBUTED =
  'no attribution rule matches this record (account code, trunk, username, IP range or DID)';

/** Records by account, and the lines no rule matched. */
export interface AttributedCdrs {
  byAccount: Map<string, { records: StorableRecord[]; lines: number[] }>;
  rejects: { line: number; reason: string }[];
}

/**
 * With `accountId`, every record belongs to it; otherwise a record's own account (`explicit[i]`, from an HTTP
 * batch) or else the rules decide, and nothing is guessed.
 */
export function attributeCdrs(
  parsed: ParsedCdr[],
  target: { accountId: string } | { attributor: Attributor },
  explicit?: (string | null)[],
): AttributedCdrs {
  const attributor = 'attributor' in target ? target.attributor : null;
  const byAccount = new Map<string, { records: StorableRecord[]; lines: number[] }>();
  const rejects: { line: number; reason: string }[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const c = parsed[i]!;
    const record = storableCdr(c);
    const accountId =
      'accountId' in target
        ? target.accountId
        : (explicit?.[i] ??
          attributor!.resolve({
            accountCode: c.accountCode,
            channel: c.channel,
            dstChannel: c.dstChannel,
            username: c.username,
            sourceIp: c.sourceIp,
            numbers: attributor!.usesNumbers ? cdrNumbers(record.encoded) : undefined,
          }));
    if (!accountId) {
      rejects.push({ line: c.sourceLine, reason: UNATTRIBUTED });
      continue;
    }
    let group = byAccount.get(accountId);
    if (!group) byAccount.set(accountId, (group = { records: [], lines: [] }));
    group.records.push(record);
    group.lines.push(c.sourceLine);
  }
  return { byAccount, rejects };
}
