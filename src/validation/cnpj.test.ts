import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { bare, loadBrIdentifiers, masked } from '../../test/support/br-identifiers.ts';
import { isValidCnpj, normaliseCnpj } from './cnpj.ts';

const vectors = loadBrIdentifiers().cnpj;

function thrown(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (isSigiloError(err)) return err;
    throw err;
  }
  throw new Error('expected a SigiloError');
}

describe('normaliseCnpj', () => {
  it.each(vectors.valid)('accepts the shared valid CNPJ $value masked and bare', ({ value }) => {
    const chars = bare(value);
    expect(chars).toMatch(/^[0-9A-Z]{12}\d{2}$/);
    expect(normaliseCnpj(value, 'cnpj')).toBe(chars);
    expect(normaliseCnpj(masked(value), 'cnpj')).toBe(chars);
    expect(normaliseCnpj(chars, 'cnpj')).toBe(chars);
    expect(normaliseCnpj(value.toLowerCase(), 'cnpj')).toBe(chars);
    expect(isValidCnpj(value)).toBe(true);
  });

  it('includes the official alphanumeric example, accepted in lower case', () => {
    const alphanumeric = vectors.valid.filter(({ value }) => /[A-Z]/i.test(value));
    expect(alphanumeric.length).toBeGreaterThan(0);
    expect(normaliseCnpj('12.abc.345/01de-35', 'cnpj')).toBe('12ABC34501DE35');
  });

  it.each(vectors.invalid)('refuses the shared invalid CNPJ $value ($why)', ({ value }) => {
    const err = thrown(() => normaliseCnpj(value, 'account.cnpj'));
    expect(err.code).toBe('INVALID_CNPJ');
    expect(err.details).toMatchObject({ path: 'account.cnpj' });
    expect(isValidCnpj(value)).toBe(false);
    expect(isValidCnpj(value.toLowerCase())).toBe(false);
  });

  it('refuses each valid CNPJ with its second check digit changed', () => {
    for (const { value } of vectors.valid) {
      const chars = bare(value);
      const wrong = chars.slice(0, 13) + String((Number(chars[13]) + 1) % 10);
      expect(thrown(() => normaliseCnpj(wrong, 'cnpj')).details).toMatchObject({ reason: 'check_digits' });
    }
  });

  it('refuses one repeated digit even though its check digits add up', () => {
    expect(thrown(() => normaliseCnpj('00.000.000/0000-00', 'cnpj')).details).toMatchObject({
      reason: 'repeated_digits',
    });
  });

  it.each([
    '0719535800016',
    '071953580001660',
    '07.195.358/0001-6',
    '07 195 358 0001 66',
    '12ABC34501DE3!',
    '',
  ])('refuses the malformed %j', (value) => {
    const err = thrown(() => normaliseCnpj(value, 'cnpj'));
    expect(err.code).toBe('INVALID_CNPJ');
    expect(err.details).toMatchObject({ path: 'cnpj', reason: 'format' });
  });
});
