import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { normaliseCep } from './cep.ts';

describe('normaliseCep', () => {
  it.each(['01310-100', '01310100', '01.310-100', ' 01310-100 '])('reads %j as 01310100', (input) => {
    expect(normaliseCep(input, 'cep')).toBe('01310100');
  });

  it.each(['0131010', '013101000', '01310-10', '0131-0100', 'ABCDE-123', '01310 100', '00000-000', ''])(
    'refuses %j',
    (input) => {
      try {
        normaliseCep(input, 'address.cep');
        expect.unreachable();
      } catch (err) {
        expect(isSigiloError(err, 'INVALID_CEP')).toBe(true);
        expect(isSigiloError(err) && err.details.path).toBe('address.cep');
      }
    },
  );
});
