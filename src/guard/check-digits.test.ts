import { isCNH, isPIS, isTituloEleitor } from 'validation-br';
import { CNH } from 'validation-br/cnh';
import { PIS } from 'validation-br/pis-pasep';
import { TituloEleitor } from 'validation-br/tituloEleitor';
import { describe, expect, it } from 'vitest';
import { isValidCnpj } from '../validation/cnpj.ts';
import { isValidCpf } from '../validation/cpf.ts';
import { parsePhone } from '../validation/phone.ts';
import {
  brPhoneDigitsValid,
  cnhDigitsValid,
  cnpjCharsValid,
  cpfDigitsValid,
  luhnValid,
  pisDigitsValid,
  tituloDigitsValid,
} from './check-digits.ts';

// A fixed-seed generator, so a failure names numbers that can be replayed.
let state = 17;
const rand = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
const alnum = (n: number): string =>
  Array.from({ length: n }, () => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[Math.floor(rand() * 36)]).join('');

describe('check digits agree with the boundary validators', () => {
  it('CPF and CNPJ (numeric and alphanumeric) as src/validation decides, on 20,000 random numbers', () => {
    for (let i = 0; i < 20_000; i++) {
      const cpf = digits(11);
      expect(cpfDigitsValid(cpf), cpf).toBe(isValidCpf(cpf));
      const cnpj = i % 2 ? digits(14) : alnum(12) + digits(2);
      expect(cnpjCharsValid(cnpj), cnpj).toBe(isValidCnpj(cnpj));
    }
    expect(cpfDigitsValid('11144477735')).toBe(true);
  });

  it('accepts every CNH, PIS and título validation-br accepts, and is as strict on PIS', () => {
    for (let i = 0; i < 2_000; i++) {
      const cnh = CNH.fake().toString().replace(/\D/g, '');
      expect(cnhDigitsValid(cnh), cnh).toBe(true);
      const pis = PIS.fake().toString().replace(/\D/g, '');
      expect(pisDigitsValid(pis), pis).toBe(true);
      const titulo = TituloEleitor.fake().toString().replace(/\D/g, '');
      expect(tituloDigitsValid(titulo), titulo).toBe(true);
    }
    let extra = 0;
    for (let i = 0; i < 20_000; i++) {
      const d = digits(11);
      expect(pisDigitsValid(d), d).toBe(isPIS(d));
      if (isCNH(d)) expect(cnhDigitsValid(d), d).toBe(true);
      else if (cnhDigitsValid(d)) extra++;
      const t = digits(12);
      if (isTituloEleitor(t)) expect(tituloDigitsValid(t), t).toBe(true);
    }
    // The second CNH algorithm widens acceptance by about as much again as the first: ~1% each.
    expect(extra / 20_000).toBeLessThan(0.02);
  });

  it('Luhn on known card numbers', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('378282246310005')).toBe(true);
  });

  it('a phone the numbering plan accepts is one libphonenumber calls valid', () => {
    let accepted = 0;
    for (let i = 0; i < 3_000; i++) {
      const d = digits(2) + (i % 2 ? '9' + digits(8) : String(2 + (i % 4)) + digits(7));
      if (!brPhoneDigitsValid(d)) continue;
      accepted++;
      expect(parsePhone(d, 'p', 'BR').isValid(), d).toBe(true);
    }
    expect(accepted).toBeGreaterThan(1_000);
  });
});
