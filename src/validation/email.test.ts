import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { normaliseEmail } from './email.ts';

describe('normaliseEmail', () => {
  it.each([
    ['joao@exemplo.com.br', 'joao@exemplo.com.br'],
    ['  Joao.Silva@Exemplo.COM.br ', 'joao.silva@exemplo.com.br'],
    ['a+suporte@gmail.com', 'a+suporte@gmail.com'],
    ['JOÃO@exemplo.com.br', 'joão@exemplo.com.br'],
  ])('normalises %j to %s', (input, expected) => {
    expect(normaliseEmail(input, 'email')).toBe(expected);
  });

  it('gives one value for composed and decomposed accents', () => {
    expect(normaliseEmail('jo\u0061\u0303o@exemplo.com.br', 'email')).toBe(
      normaliseEmail('jo\u00e3o@exemplo.com.br', 'email'),
    );
  });

  it.each([
    '',
    'joao',
    'joao@',
    '@exemplo.com.br',
    'joao@localhost',
    'joao@127.0.0.1',
    'joao@exemplo..com',
    'João <joao@exemplo.com.br>',
    'joao@exemplo.com.br, maria@exemplo.com.br',
    `${'a'.repeat(65)}@exemplo.com.br`,
  ])('refuses %j', (input) => {
    try {
      normaliseEmail(input, 'contact.email');
      expect.unreachable();
    } catch (err) {
      expect(isSigiloError(err, 'INVALID_EMAIL')).toBe(true);
      expect(isSigiloError(err) && err.details).toEqual({ path: 'contact.email' });
    }
  });
});
