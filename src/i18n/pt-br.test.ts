import { describe, expect, it } from 'vitest';
import { countPt, numberPt, pluralPt } from './pt-br.ts';

const eliminated = {
  one: 'Foi eliminado # registro',
  other: 'Foram eliminados # registros',
  zero: 'Nenhum registro foi eliminado',
};

describe('pt-BR plurals', () => {
  it('agrees noun and verb with the number', () => {
    expect(countPt(1, 'item', 'itens')).toBe('1 item');
    expect(countPt(2, 'item', 'itens')).toBe('2 itens');
    expect(pluralPt(1, eliminated)).toBe('Foi eliminado 1 registro');
    expect(pluralPt(2, eliminated)).toBe('Foram eliminados 2 registros');
  });

  it('writes zero with the plural, or with its own phrase', () => {
    expect(countPt(0, 'registro', 'registros')).toBe('0 registros');
    expect(pluralPt(0, eliminated)).toBe('Nenhum registro foi eliminado');
  });

  it('groups thousands the Brazilian way, and a million stays plural', () => {
    expect(numberPt(1234567)).toBe('1.234.567');
    expect(countPt(1000, 'titular', 'titulares')).toBe('1.000 titulares');
    expect(countPt(1_000_000, 'registro', 'registros')).toBe('1.000.000 registros');
  });
});
