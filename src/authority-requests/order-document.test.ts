/**
 * The court-order document of an authority request is stored sealed in the blob store, like a recording (issue 16):
 * not inline in the database, opened through the gate, and an edited, swapped or truncated blob — or an edited hash
 * in the row — is an INTEGRITY_ERROR naming the request, logged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { createTestSigilo, ctx } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { entriesFor, expectSigiloError, rawRows, writeColumn } from '../../test/support/vault.ts';
import { cdrOrder } from './authority-request.fixture.ts';

const legal = () => ctx('legal', 'authority_order', 'legal-a');
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  Buffer.alloc(200_000, 7),
  Buffer.from('ordem judicial'),
]);

describe.each(DIALECTS)('authority order documents on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function setup(): Promise<{ sigilo: Sigilo; dir: string }> {
    const t = await createTestSigilo(dialect, {});
    cleanup = t.cleanup;
    t.clock.set('2026-12-01T12:00:00.000Z');
    return { sigilo: t.sigilo, dir: t.dir };
  }

  const create = (sigilo: Sigilo, doc: Buffer) =>
    sigilo.gate.run(legal(), (s) =>
      sigilo.services.authorityRequests.create(
        s,
        cdrOrder({ document: { contentType: 'application/pdf', base64: doc.toString('base64') } }),
      ),
    );
  const open = (sigilo: Sigilo, id: string, c = legal()) =>
    sigilo.gate.run(c, (s) => sigilo.services.authorityRequests.document(s, id));

  /** The blob file of a key in the filesystem blob store (sharded by its first two characters). */
  const blobFile = (dir: string, key: string) =>
    path.join(dir, 'recordings', key.slice(0, 2).toLowerCase(), key);

  async function row(sigilo: Sigilo, id: string): Promise<Record<string, unknown>> {
    return (await rawRows(sigilo, 'authority_requests')).find((r) => r.id === id)!;
  }

  it('stores the document sealed in the blob store, not in the database, and opens it through the gate', async () => {
    const { sigilo, dir } = await setup();
    const req = await create(sigilo, PDF);
    expect(req.hasDocument).toBe(true);
    const r = await row(sigilo, req.id);
    expect(r.document_ct).toBeNull();
    expect(Number(r.document_size)).toBe(PDF.length);
    const key = String(r.document_blob_key);
    const blob = fs.readFileSync(blobFile(dir, key));
    // Sealed: none of the document's bytes in the clear, and bigger by the chunk tags and header.
    expect(blob.includes(Buffer.from('ordem judicial'))).toBe(false);
    expect(blob.includes(Buffer.from('%PDF'))).toBe(false);
    expect(blob.length).toBeGreaterThan(PDF.length);
    expect(key).not.toContain(req.id);
    const c = legal();
    const opened = await open(sigilo, req.id, c);
    expect(opened?.contentType).toBe('application/pdf');
    expect(opened?.bytes.equals(PDF)).toBe(true);
    expect(await entriesFor(sigilo, c.requestId)).toContainEqual(
      expect.objectContaining({ operation: 'read', outcome: 'allowed', reason: 'order document opened' }),
    );
    // A role other than legal gets nothing.
    await expectSigiloError(open(sigilo, req.id, ctx('dpo', 'authority_order')), 'ROLE_NOT_ALLOWED');
  });

  it('an edited, truncated or swapped blob, or an edited hash in the row, is an INTEGRITY_ERROR, logged', async () => {
    const { sigilo, dir } = await setup();
    const req = await create(sigilo, PDF);
    const other = await create(sigilo, Buffer.from('outra ordem'));
    const file = blobFile(dir, String((await row(sigilo, req.id)).document_blob_key));
    const original = fs.readFileSync(file);
    const expectTampered = async () => {
      const c = legal();
      const err = await expectSigiloError(open(sigilo, req.id, c), 'INTEGRITY_ERROR');
      expect(err.details).toMatchObject({ table: 'authority_requests', rowId: req.id });
      expect(await entriesFor(sigilo, c.requestId)).toContainEqual(
        expect.objectContaining({ outcome: 'error' }),
      );
    };

    const edited = Buffer.from(original);
    edited[edited.length - 20]! ^= 1;
    fs.writeFileSync(file, edited);
    await expectTampered();
    fs.writeFileSync(file, original.subarray(0, original.length - 1000));
    await expectTampered();
    // Another request's sealed document put in its place.
    fs.writeFileSync(
      file,
      fs.readFileSync(blobFile(dir, String((await row(sigilo, other.id)).document_blob_key))),
    );
    await expectTampered();
    fs.writeFileSync(file, original);
    expect((await open(sigilo, req.id))?.bytes.equals(PDF)).toBe(true);
    // The row's stated hash is bound into every chunk.
    await writeColumn(sigilo, 'authority_requests', req.id, 'document_sha256', 'a'.repeat(64));
    await expectTampered();
  });

  it('a refused intake leaves no blob behind', async () => {
    const { sigilo, dir } = await setup();
    await expect(
      sigilo.gate.run(legal(), (s) =>
        sigilo.services.authorityRequests.create(
          s,
          cdrOrder({
            courtOrderRef: undefined,
            document: { contentType: 'application/pdf', base64: PDF.toString('base64') },
          }),
        ),
      ),
    ).rejects.toMatchObject({ code: 'AUTHORITY_COURT_ORDER_REQUIRED' });
    const files = fs.existsSync(path.join(dir, 'recordings'))
      ? fs
          .readdirSync(path.join(dir, 'recordings'), { recursive: true, withFileTypes: true })
          .filter((f) => f.isFile())
      : [];
    expect(files).toEqual([]);
  });
});
