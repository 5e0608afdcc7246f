import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractText, getDocumentProxy } from 'unpdf';
import { cli, initWithAccount, installation, modeOf } from '../../../test/support/cli.ts';

describe('sigilo report processing', () => {
  let inst: Awaited<ReturnType<typeof installation>>;
  beforeAll(async () => {
    inst = await installation('sqlite');
    await initWithAccount(inst);
  });
  afterAll(async () => inst.cleanup());

  it('prints JSON with live counts, and writes HTML and PDF files', async () => {
    const json = await cli(inst.env, 'report', 'processing', '--json');
    expect(json.code, json.err).toBe(0);
    const m = JSON.parse(json.out) as { categories: { id: string; records: number }[] };
    expect(m.categories.find((c) => c.id === 'tax_id')?.records).toBe(1);

    const html = path.join(inst.dir, 'ropa.html');
    expect((await cli(inst.env, 'report', 'processing', '--html', '--out', html)).code).toBe(0);
    expect(fs.readFileSync(html, 'utf8')).toContain('Registro das operações de tratamento');
    expect(modeOf(html)).toBe(0o600);

    const pdf = path.join(inst.dir, 'ropa.pdf');
    expect((await cli(inst.env, 'report', 'processing', '--pdf', '--out', pdf)).code).toBe(0);
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(fs.readFileSync(pdf))), {
      mergePages: true,
    });
    expect(text).toContain('CPF/CNPJ');

    expect((await cli(inst.env, 'report', 'processing', '--pdf', '--html')).code).toBe(1);
  });
});
