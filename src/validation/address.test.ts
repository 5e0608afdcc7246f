import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { normaliseAddress, UFS } from './address.ts';

/** A valid address, with `overrides` applied (an `undefined` override removes the field). */
function addressWith(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    street: 'Avenida Paulista',
    number: '1578',
    complement: 'Andar 5',
    district: 'Bela Vista',
    city: 'São Paulo',
    state: 'SP',
    cep: '01310-200',
    ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete base[key];
  return base;
}

function failure(input: unknown): { code: string; path: unknown; message: string } {
  try {
    normaliseAddress(input, 'address');
  } catch (err) {
    if (isSigiloError(err)) return { code: err.code, path: err.details.path, message: err.message };
    throw err;
  }
  throw new Error('expected a SigiloError');
}

describe('normaliseAddress', () => {
  it('trims, upper-cases the UF and normalises the CEP', () => {
    expect(
      normaliseAddress(
        addressWith({ street: '  Avenida   Paulista ', state: ' sp ', city: 'São Paulo ', cep: '01310200' }),
        'address',
      ),
    ).toEqual({
      street: 'Avenida Paulista',
      number: '1578',
      complement: 'Andar 5',
      district: 'Bela Vista',
      city: 'São Paulo',
      state: 'SP',
      cep: '01310200',
    });
  });

  it('knows the 27 UFs', () => {
    expect(UFS).toHaveLength(27);
    expect(new Set(UFS).size).toBe(27);
    for (const uf of UFS) expect(normaliseAddress(addressWith({ state: uf }), 'address').state).toBe(uf);
  });

  it('leaves out optional lines that are absent, null or blank', () => {
    const result = normaliseAddress(
      addressWith({ complement: null, district: '   ', number: 'S/N' }),
      'address',
    );
    expect(result).not.toHaveProperty('complement');
    expect(result).not.toHaveProperty('district');
    expect(result.number).toBe('S/N');
    expect(normaliseAddress(addressWith({ complement: undefined }), 'address')).not.toHaveProperty(
      'complement',
    );
  });

  it.each([
    ['an unknown UF', { state: 'XX' }, 'address.state'],
    ['a state written in full', { state: 'São Paulo' }, 'address.state'],
    ['a missing city', { city: undefined }, 'address.city'],
    ['a blank city', { city: '  ' }, 'address.city'],
    ['a missing street', { street: undefined }, 'address.street'],
    ['a missing number', { number: undefined }, 'address.number'],
    ['a missing CEP', { cep: undefined }, 'address.cep'],
    ['a numeric number', { number: 1578 }, 'address.number'],
    ['a street too long', { street: 'R'.repeat(201) }, 'address.street'],
    ['a control character', { complement: 'Andar\u00005' }, 'address.complement'],
    ['a field that is not part of an address', { country: 'BR' }, 'address.country'],
  ])('refuses %s with INVALID_ADDRESS naming the field', (_why, overrides, path) => {
    const err = failure(addressWith(overrides));
    expect(err).toMatchObject({ code: 'INVALID_ADDRESS', path });
    expect(err.message).toContain(path);
  });

  it('refuses a malformed CEP with INVALID_CEP', () => {
    expect(failure(addressWith({ cep: '1310-200' }))).toMatchObject({
      code: 'INVALID_CEP',
      path: 'address.cep',
    });
  });

  it.each([null, 'Avenida Paulista, 1578', ['Avenida Paulista'], 42])(
    'refuses %j, which is not an object',
    (input) => {
      expect(failure(input)).toMatchObject({ code: 'INVALID_ADDRESS', path: 'address' });
    },
  );

  it('never repeats a value in the error', () => {
    const err = failure(addressWith({ state: 'Zululândia' }));
    expect(JSON.stringify(err)).not.toContain('Zulul');
  });
});
