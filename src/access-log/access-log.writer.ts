import type { Tx } from '../store/store.ts';
import { checkpointMessage, type AccessLogEntry, type ChainedEntry } from './access-log.entry.ts';
import type { AccessLogRepository } from './access-log.repository.ts';

/** Signs checkpoints; the keyring provides it so the access log never holds key material. */
export interface CheckpointSigner {
  sign(message: Buffer): Buffer;
  readonly signingPublicKey: Buffer;
}

/** Appends entries and signs a checkpoint each time the chain crosses a multiple of `checkpointEvery`. */
export class AccessLogWriter {
  constructor(
    private readonly repo: AccessLogRepository,
    private readonly signer: CheckpointSigner,
    private readonly now: () => Date,
    private readonly checkpointEvery = 1000,
  ) {}

  /** Appends in `tx` (the same transaction as the change the entries describe). */
  async append(tx: Tx, entries: AccessLogEntry[]): Promise<ChainedEntry[]> {
    const chained = await this.repo.append(tx, entries);
    const first = chained[0];
    const last = chained.at(-1);
    if (
      first &&
      last &&
      Math.floor(last.seq / this.checkpointEvery) > Math.floor((first.seq - 1) / this.checkpointEvery)
    ) {
      await this.checkpointAt(tx, last.seq, last.hash);
    }
    return chained;
  }

  /** Signs the current head now (used by `sigilo audit checkpoint` and before a backup). */
  async checkpoint(tx: Tx): Promise<{ seq: number } | null> {
    const head = await this.repo.head(tx);
    if (head.seq === 0) return null;
    const existing = (await this.repo.checkpoints(tx)).at(-1);
    if (existing?.seq === head.seq) return { seq: head.seq };
    await this.checkpointAt(tx, head.seq, head.hash);
    return { seq: head.seq };
  }

  private async checkpointAt(tx: Tx, seq: number, hash: Buffer): Promise<void> {
    const signature = this.signer.sign(checkpointMessage(seq, hash));
    await this.repo.addCheckpoint(tx, {
      seq,
      hash,
      signedAt: this.now().toISOString(),
      signature,
      publicKey: this.signer.signingPublicKey,
    });
  }
}
