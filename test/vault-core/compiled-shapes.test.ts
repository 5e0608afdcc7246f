import {
  SelectQueryNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runShaped } from '../../src/store/compiled-shapes.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestStore, DIALECTS } from '../support/stores.ts';

/** Records the kind of every statement a transaction runs (as the gate's change watch does). */
class Seen implements KyselyPlugin {
  readonly kinds: string[] = [];
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    this.kinds.push(SelectQueryNode.is(node) ? 'select' : node.kind);
    return node;
  }
  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  }
}

describe.each(DIALECTS)('statements compiled once per shape on %s', (dialect) => {
  let t: Awaited<ReturnType<typeof createTestStore>>;
  let store: Store;
  beforeAll(async () => {
    t = await createTestStore(dialect);
    store = t.store;
    await store.db
      .insertInto('subjects')
      .values(
        ['a', 'b', 'c'].map((id) => ({ id, kind: 'person' as const, created_at: `2026-01-0${id.length}` })),
      )
      .execute();
  });
  afterAll(() => t.cleanup());

  const byIds = (ids: string[]) =>
    runShaped(store.db, `test.subjects.${ids.length}`, ids, (slot) =>
      store.db
        .selectFrom('subjects')
        .select('id')
        .where(
          'id',
          'in',
          ids.map((_, i) => slot(i)),
        )
        .orderBy('id'),
    ).then((r) => r.rows.map((row) => row.id));

  it('runs one shape again with other values, each run answering for its own values', async () => {
    expect(await byIds(['a', 'c'])).toEqual(['a', 'c']);
    expect(await byIds(['b', 'zz'])).toEqual(['b']);
    expect(await byIds(['b'])).toEqual(['b']);
    expect(await byIds(['zz'])).toEqual([]);
  });

  it('lets the plugins of a transaction see every statement it runs, writes included', async () => {
    const seen = new Seen();
    await store.transaction(async (plain) => {
      const tx = plain.withPlugin(seen);
      for (const id of ['d', 'e'])
        await runShaped(tx, 'test.subjects.insert', [id], (slot) =>
          tx.insertInto('subjects').values({ id: slot(0), kind: 'person', created_at: '2026-01-01' }),
        );
      await runShaped(tx, 'test.subjects.one', ['d'], (slot) =>
        tx.selectFrom('subjects').select('id').where('id', '=', slot(0)),
      );
    });
    // Each statement is seen when it runs (the first of a shape also when it is compiled).
    expect(seen.kinds.filter((k) => k !== 'select')).toEqual([
      'InsertQueryNode',
      'InsertQueryNode',
      'InsertQueryNode',
    ]);
    expect(await byIds(['d', 'e'])).toEqual(['d', 'e']);
  });

  it('refuses a shape whose values and placeholders do not match', async () => {
    await expect(
      runShaped(store.db, 'test.subjects.bad', ['a', 'b'], (slot) =>
        store.db.selectFrom('subjects').select('id').where('id', '=', slot(0)),
      ),
    ).rejects.toThrow(/2 values, 1 slots/);
  });
});
