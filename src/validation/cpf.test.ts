import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { bare, loadBrIdentifiers, masked } from '../../test/support/br-identifiers.ts';
import { isValidCpf, normaliseCpf } from './cpf.ts';

const vectors = loadBrIdentifiers().cpf;

/** The SigiloError `fn` throws, or a failed expectation when it does not throw one. */
function thrown(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (isSigiloError(err)) return err;
    throw err;
  }
  throw new Error('expected a SigiloError');
}

describe('normaliseCpf', () => {
  it.each(vectors.valid)('accepts the shared valid CPF $value masked and bare', ({ value }) => {
    const digits = bare(value);
    expect(digits).toMatch(/^\d{11}$/);
    expect(normaliseCpf(value, 'cpf')).toBe(digits);
    expect(normaliseCpf(masked(value), 'cpf')).toBe(digits);
    expect(normaliseCpf(digits, 'cpf')).toBe(digits);
    expect(normaliseCpf(`  ${masked(value)} `, 'cpf')).toBe(digits);
    expect(isValidCpf(value)).toBe(true);
  });

  it.each(vectors.invalid)('refuses the shared invalid CPF $value ($why)', ({ value }) => {
    const err = thrown(() => normaliseCpf(value, 'person.cpf'));
    expect(err.code).toBe('INVALID_CPF');
    expect(err.details).toMatchObject({ path: 'person.cpf' });
    expect(isValidCpf(value)).toBe(false);
    expect(isValidCpf(masked(value))).toBe(false);
  });

  it('refuses every one-digit repetition even though its check digits add up', () => {
    for (let d = 0; d <= 9; d++) {
      const err = thrown(() => normaliseCpf(String(d).repeat(11), 'cpf'));
      expect(err.details).toMatchObject({ path: 'cpf', reason: 'repeated_digits' });
    }
  });

  it.each(['3905334470', '390533447050', '390.533.447-0X', '390 533 447 05', '390/533/447-05', ''])(
    'refuses the malformed %j',
    (value) => {
      const err = thrown(() => normaliseCpf(value, 'cpf'));
      expect(err.code).toBe('INVALID_CPF');
      expect(err.details).toMatchObject({ path: 'cpf', reason: 'format' });
    },
  );

  it('refuses a value that is not a string', () => {
    expect(thrown(() => normaliseCpf(39053344705 as unknown as string, 'cpf')).code).toBe('INVALID_CPF');
  });

  it('never repeats the CPF in the error', () => {
    const err = thrown(() => normaliseCpf('231.002.999-00', 'cpf'));
    expect(JSON.stringify(err.toJSON())).not.toMatch(/231|002|999/);
  });
});
