import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { decodeUtf8, utf8Lines } from './body-parsers.ts';

async function lines(chunks: Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of utf8Lines(chunks)) out.push(l);
  return out;
}

describe('strict UTF-8', () => {
  it('decodes valid UTF-8 and refuses invalid, overlong and surrogate sequences', () => {
    expect(decodeUtf8(Buffer.from('São Paulo', 'utf8'))).toBe('São Paulo');
    expect(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('a');
    for (const bad of [[0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xc3]]) {
      expect(decodeUtf8(Buffer.from(bad)), bad.join(',')).toBeNull();
    }
  });

  it('splits lines on LF and CRLF, keeps a character split across chunks, and yields a last unterminated line', async () => {
    const text = Buffer.from('ação\r\nb\n\nfim', 'utf8');
    // Cut inside the two-byte "ç" and inside the CRLF.
    const chunks = [text.subarray(0, 2), text.subarray(2, 6), text.subarray(6, 7), text.subarray(7)];
    expect(await lines(chunks)).toEqual(['ação', 'b', '', 'fim']);
  });

  it('refuses a line with invalid UTF-8, naming it', async () => {
    let err: unknown;
    try {
      await lines([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    } catch (e) {
      err = e;
    }
    expect(isSigiloError(err, 'VALIDATION_FAILED')).toBe(true);
    expect((err as { details: unknown }).details).toEqual({ path: 'body', line: 2 });
  });
});
