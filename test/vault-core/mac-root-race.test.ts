/**
 * Two instances doing their first start at the same moment both find no row-MAC (or record-MAC) root and both
 * insert one. The insert is insert-if-absent, so the second waits for the first's commit and inserts nothing; it
 * must then use the winner's root, not the one it made: otherwise it MACs rows the other instance cannot verify
 * (and refuses every row the other wrote). On PostgreSQL the race is forced (the second transaction is made to
 * wait on the first's uncommitted insert), and two first starts run at once and then read each
 * other's writes, with one logged backfill each. PostgreSQL only: SQLite's `begin immediate` serialises the two
 * starts, so the second reads the first's committed root before it inserts anything.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initSigilo, openSigilo, type Sigilo } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { KeyedHasher } from '../../src/crypto/keyed-hash.ts';
import { Keyring } from '../../src/keys/keyring.ts';
import { LocalKeyFileProvider } from '../../src/keys/local-key-file.provider.ts';
import type { Store } from '../../src/store/store.ts';
import { ctx } from '../support/sigilo.ts';
import { createTestStore } from '../support/stores.ts';
import { DIALECTS } from '../support/stores.ts';
import { JOAO, MARIA, seedCustomer } from '../support/vault.ts';

type Created = { hasher: KeyedHasher; use: () => void; created: boolean };

describe.each(DIALECTS.filter((d) => d === 'postgres'))(
  'MAC roots created by two first starts at once on %s',
  (dialect) => {
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    });

    async function fresh() {
      const t = await createTestStore(dialect, { migrate: false });
      closers.push(t.cleanup);
      const config = loadConfig({ SIGILO_DATA_DIR: t.dir, SIGILO_LOG_LEVEL: 'silent' });
      const keyFile = path.join(t.dir, 'master.key');
      const keys = await LocalKeyFileProvider.create(keyFile);
      await initSigilo(config, { store: t.store, keyProvider: keys });
      const second = t.reopen();
      closers.push(() => second.close());
      return { t, config, keyFile, keys, stores: [t.store, second] as const };
    }

    it('the instance whose insert waited uses the root that won', async () => {
      const { keyFile, stores } = await fresh();
      for (const kind of ['row', 'record'] as const) {
        const rings = await Promise.all(
          stores.map(async (s: Store) => {
            const k = new Keyring(await LocalKeyFileProvider.open(keyFile));
            await k.load(s);
            return k;
          }),
        );
        const create = (k: Keyring, tx: Parameters<Keyring['createRowMacKey']>[0]): Promise<Created> =>
          kind === 'row' ? k.createRowMacKey(tx) : k.createRecordMacKey(tx);
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let inserted!: () => void;
        const firstInserted = new Promise<void>((r) => (inserted = r));
        const first = stores[0].transaction(async (tx) => {
          const c = await create(rings[0]!, tx);
          inserted();
          await held;
          return c;
        });
        await firstInserted;
        // The second start's insert waits on the first's uncommitted row.
        const second = stores[1].transaction((tx) => create(rings[1]!, tx));
        await new Promise((r) => setTimeout(r, 300));
        release();
        const [a, b] = await Promise.all([first, second]);
        expect([a.created, b.created]).toEqual([true, false]);
        expect(b.hasher.hash('probe').equals(a.hasher.hash('probe'))).toBe(true);
      }
    }, 60_000);

    it('two first starts at once share one root each, log one backfill each, and verify each other', async () => {
      const { config, keyFile, stores } = await fresh();
      // Each instance keeps its own data directory (head file, journal), as two hosts would.
      const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-test-'));
      closers.push(() => Promise.resolve(fs.rmSync(otherDir, { recursive: true, force: true })));
      const configs = [config, loadConfig({ SIGILO_DATA_DIR: otherDir, SIGILO_LOG_LEVEL: 'silent' })];
      const opened: Sigilo[] = await Promise.all(
        stores.map(async (store, i) =>
          openSigilo(configs[i]!, { store, keyProvider: await LocalKeyFileProvider.open(keyFile) }),
        ),
      );
      for (const s of opened) {
        closers.push(async () => {
          await s.accessLog.security.close().catch(() => undefined);
          await s.accessLog.writer.close();
          await s.services.telecomIngest.close();
        });
      }
      const [a, b] = opened as [Sigilo, Sigilo];
      const maria = await seedCustomer(a, MARIA);
      const joao = await seedCustomer(b, JOAO);
      // Each reads what the other wrote (row MACs of people, record MACs of the account links).
      const read = (s: Sigilo, id: string) =>
        s.gate.run(ctx('support_agent', 'support'), (x) => s.services.people.get(x, id));
      expect((await read(b, maria.personId)).accounts.length).toBeGreaterThan(0);
      expect((await read(a, joao.personId)).accounts.length).toBeGreaterThan(0);
      const backfills = await a.store.db
        .selectFrom('access_log')
        .select('operation')
        .where('operation', 'in', ['row_mac_backfill', 'record_mac_backfill'])
        .execute();
      expect(backfills.map((r) => r.operation).sort()).toEqual(['record_mac_backfill', 'row_mac_backfill']);
    }, 120_000);
  },
);
