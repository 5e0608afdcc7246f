import { describe, expect, it } from 'vitest';
import { HIDDEN, mask, maskAddress } from './masking.ts';
import type { FieldKind } from './masking.ts';
import type { PostalAddress } from './address.ts';

const address: PostalAddress = {
  street: 'Avenida Paulista',
  number: '1578',
  district: 'Bela Vista',
  city: 'São Paulo',
  state: 'SP',
  cep: '01310200',
};

describe('mask', () => {
  const samples: [FieldKind, string][] = [
    ['name', 'João da Silva'],
    ['phone', '+5511987654321'],
    ['email', 'joao@exemplo.com.br'],
    ['cpf', '39053344705'],
    ['cnpj', '12ABC34501DE35'],
    ['tax_id', '07195358000166'],
    ['ip', '200.160.2.3'],
    ['address', JSON.stringify(address)],
    ['text', 'Cliente ligou sobre a fatura'],
    ['cep', '01310200'],
  ];

  it.each(samples)('shows %s unchanged at level none and as [oculto] at level hidden', (kind, value) => {
    expect(mask(kind, 'none', value)).toBe(value);
    expect(mask(kind, 'hidden', value)).toBe('[oculto]');
    expect(HIDDEN).toBe('[oculto]');
  });

  it.each([
    ['name', 'João da Silva', 'J*** d*** S***'],
    ['name', '  maria   souza ', 'm*** s***'],
    ['phone', '+5511987654321', '+55 11 9****-4321'],
    ['phone', '+551134567890', '+55 11 ****-7890'],
    ['phone', '+12025550143', '+1 ******0143'],
    ['email', 'joao@exemplo.com.br', 'j***@e***.com.br'],
    ['email', 'maria.souza@gmail.com', 'm***@g***.com'],
    ['email', 'ana@mail.empresa.com.br', 'a***@m***.com.br'],
    ['cpf', '39053344705', '***.533.447-**'],
    ['cpf', '390.533.447-05', '***.533.447-**'],
    ['cnpj', '07195358000166', '**.***.***/0001-66'],
    ['cnpj', '12ABC34501DE35', '**.***.***/01DE-35'],
    ['tax_id', '39053344705', '***.533.447-**'],
    ['tax_id', '07.195.358/0001-66', '**.***.***/0001-66'],
    ['ip', '200.160.2.3', '200.160.*.*'],
    ['ip', '2001:db8:85a3::8a2e:370:7334', '2001:db8:*:*:*:*:*:*'],
    ['ip', '::ffff:200.160.2.3', '200.160.*.*'],
    ['address', JSON.stringify(address), 'São Paulo/SP'],
    ['text', 'Cliente ligou sobre a fatura', '[oculto]'],
    ['cep', '01310200', '013**-***'],
    ['cep', '01310-200', '013**-***'],
  ] as [FieldKind, string, string][])('masks the %s %j as %j at level partial', (kind, value, expected) => {
    expect(mask(kind, 'partial', value)).toBe(expected);
  });

  it.each([
    ['phone', 'not a phone'],
    ['email', 'no-at-sign'],
    ['cpf', '123'],
    ['cnpj', 'short'],
    ['tax_id', '12345'],
    ['ip', 'garbage'],
    ['address', 'Avenida Paulista, 1578'],
    ['cep', '123'],
    ['name', '   '],
  ] as [FieldKind, string][])('hides a %s it cannot read instead of showing it: %j', (kind, value) => {
    expect(mask(kind, 'partial', value)).toBe('[oculto]');
  });

  it('hides a kind or level it does not know', () => {
    expect(mask('passport' as FieldKind, 'partial', 'AB123456')).toBe('[oculto]');
    expect(mask('name', 'blurred' as 'partial', 'João')).toBe('[oculto]');
  });
});

describe('maskAddress', () => {
  it('returns the address, only City/UF, or [oculto]', () => {
    expect(maskAddress('none', address)).toEqual(address);
    expect(maskAddress('partial', address)).toBe('São Paulo/SP');
    expect(maskAddress('hidden', address)).toBe('[oculto]');
  });
});
