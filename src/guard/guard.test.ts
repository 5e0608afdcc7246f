import { describe, expect, it } from 'vitest';
import { foldText } from './fold-text.ts';
import { classesOf, redactText, scanText, type GuardClass } from './guard.ts';

const found = (text: string): { class: GuardClass; text: string }[] =>
  scanText(text).map((f) => ({ class: f.class, text: text.slice(f.start, f.end) }));

describe('foldText', () => {
  it('lower-cases and strips accents without moving any offset', () => {
    const text = 'Saúde, AÇÃO e Religião — São João';
    const folded = foldText(text);
    expect(folded).toBe('saude, acao e religiao — sao joao');
    expect(folded).toHaveLength(text.length);
  });
});

describe('identifiers', () => {
  it('finds a CPF masked, bare and with spaces, and not one whose check digits fail', () => {
    expect(found('CPF 111.444.777-35')).toEqual([{ class: 'cpf', text: '111.444.777-35' }]);
    expect(found('cpf 11144477735 ok')).toEqual([{ class: 'cpf', text: '11144477735' }]);
    expect(found('meu cpf e 111 444 777 35 nao consigo')).toEqual([{ class: 'cpf', text: '111 444 777 35' }]);
    expect(found('CPF 111.444.777-36')).toEqual([]);
  });

  it('does not read a phone inside a mistyped CNPJ', () => {
    expect(found('O cliente passou o CNPJ 30.413.471/0001-91 mas deu erro')).toEqual([]);
  });

  it('finds the alphanumeric CNPJ', () => {
    expect(found('CNPJ 12.ABC.345/01DE-35 da matriz')).toEqual([
      { class: 'cnpj', text: '12.ABC.345/01DE-35' },
    ]);
  });

  it('lets the naming word decide between numbers of the same length', () => {
    // 58316794534 passes the CNH check; without the word it is no finding at all.
    expect(found('CNH 58316794534')).toEqual([{ class: 'cnh', text: '58316794534' }]);
    expect(found('código 58316794534')).toEqual([]);
    expect(found('RG 12.345.678-9 SSP')).toEqual([{ class: 'rg', text: '12.345.678-9' }]);
  });

  it('takes "protocolo" and "IMEI" as saying the number is not personal', () => {
    expect(found('Protocolo 111.444.777-35')).toEqual([]);
  });

  it('finds phones with area code in the usual writings', () => {
    for (const phone of ['(11) 98765-4321', '+55 11 98765-4321', '11 9 8765 4321', '21 3456-7890']) {
      expect(found(`ligar no ${phone} amanhã`)).toEqual([{ class: 'phone', text: phone }]);
    }
  });

  it('finds cards by Luhn only', () => {
    expect(found('cartão 4111 1111 1111 1111')).toEqual([{ class: 'card', text: '4111 1111 1111 1111' }]);
    expect(found('cartão 4111 1111 1111 1112')).toEqual([]);
  });

  it('finds public IP addresses but not private ones, versions or resolvers', () => {
    expect(found('acesso do IP 177.12.9.200 às 3h')).toEqual([{ class: 'ip', text: '177.12.9.200' }]);
    expect(found('IP 2804:14c:65::1 no log')).toEqual([{ class: 'ip', text: '2804:14c:65::1' }]);
    expect(found('acesse 192.168.0.1 no navegador')).toEqual([]);
    expect(found('versão do app 4.12.0.3')).toEqual([]);
    expect(found('configure o DNS 8.8.8.8')).toEqual([]);
  });

  it('finds e-mail addresses, also written with "arroba", and PIX random keys', () => {
    expect(found('manda pro joao.silva@gmail.com.')).toEqual([
      { class: 'email', text: 'joao.silva@gmail.com' },
    ]);
    expect(found('email joao arroba gmail.com')).toEqual([{ class: 'email', text: 'joao arroba gmail.com' }]);
    expect(found('chave 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b')).toEqual([
      { class: 'pix_key', text: '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b' },
    ]);
  });
});

describe('sensitive categories', () => {
  it('reads telecom fault vocabulary as no finding', () => {
    for (const text of [
      'A linha está doente desde a chuva',
      'Morreu a conexão de novo',
      'Queda de sinal a cada cinco minutos',
      'O roteador está com febre',
      'O técnico disse que o cabo está cego',
      'O técnico fez uma cirurgia no cabo',
    ]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it('finds health data said of a person, with or without accents', () => {
    expect(classesOf(scanText('Fiquei doente e esqueci de pagar'))).toEqual(['health']);
    expect(classesOf(scanText('minha mae ta com cancer'))).toEqual(['health']);
    expect(classesOf(scanText('Estou internada desde segunda'))).toEqual(['health']);
  });

  it('finds each Art. 11 category and not the look-alike words', () => {
    expect(classesOf(scanText('Sou evangélico e não atendo no culto'))).toEqual(['religion']);
    expect(classesOf(scanText('A instalação é na Igreja Matriz'))).toEqual([]);
    expect(classesOf(scanText('Sou sindicalizado'))).toEqual(['union_membership']);
    expect(classesOf(scanText('O Sindicato dos Comerciários é nosso cliente'))).toEqual([]);
    expect(classesOf(scanText('Sou de esquerda'))).toEqual(['political_opinion']);
    expect(classesOf(scanText('Sou lésbica'))).toEqual(['sexual_life']);
    expect(classesOf(scanText('Sou negra e fui seguida na loja'))).toEqual(['racial_ethnic_origin']);
    expect(classesOf(scanText('O cabo preto está solto'))).toEqual([]);
    expect(classesOf(scanText('resultado do exame de DNA'))).toEqual(['genetic']);
    expect(classesOf(scanText('registro DNS errado'))).toEqual([]);
    expect(classesOf(scanText('cadastrei a impressão digital'))).toEqual(['biometric']);
    expect(classesOf(scanText('a TV digital não pega'))).toEqual([]);
  });
});

describe('redactText', () => {
  it('replaces every span with a mark naming its class and keeps the rest', () => {
    const text = 'Sou diabético, CPF 111.444.777-35, ligar (11) 98765-4321.';
    expect(redactText(text, scanText(text))).toBe(
      'Sou [removido: saúde], CPF [removido: CPF], ligar [removido: telefone].',
    );
  });

  it('merges overlapping findings into one mark', () => {
    expect(
      redactText('abcdef', [
        { class: 'health', start: 1, end: 4, confidence: 1 },
        { class: 'genetic', start: 2, end: 5, confidence: 1 },
      ]),
    ).toBe('a[removido: saúde]f');
  });
});
