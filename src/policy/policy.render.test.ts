import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy, parsePolicy } from './policy.loader.ts';
import {
  APPLIES_TO_EXISTING_SENTENCE,
  renderPolicyHtml,
  renderPolicyMarkdown,
  retentionPeriodPt,
  SENSITIVE_DATA_SENTENCE,
} from './policy.render.ts';
import type { Policy } from './policy.schema.ts';

const policy = loadDefaultPolicy();
const markdown = renderPolicyMarkdown(policy);
const text = markdown.toLocaleLowerCase('pt-BR');

/** A Markdown table row whose first cell is `label`. */
const rowOf = (label: string): string => markdown.split('\n').find((l) => l.startsWith(`| ${label} |`)) ?? '';

describe('renderPolicyMarkdown covers everything the seed says', () => {
  // Every data item of seed §1, in the seed's own words.
  it.each([
    'nome',
    'telefone',
    'email',
    'endereço de ip',
    'endereço físico',
    'registros de acessos ao sistema com data, hora e atividade executada',
    'informações de contrato',
    'datas de pagamento devidas ou recebidas',
    'histórico de contratações',
    'abertura de chamados',
    'senhas',
    'informações de segurança utilizadas no provisionamento dos serviços',
    'utilizados na autenticação dos serviços',
    'dados de tráfego',
    'registros de conexão',
    'histórico de chamadas telefônicas',
    'gravações dos atendimentos',
  ])('lists the data item %j', (item) => {
    expect(text).toContain(item);
  });

  it.each([
    // §1 how collected
    'quando a empresa faz a contratação do serviço e quando entra em contato para solicitar suporte',
    // §2 purposes
    'oferecer suporte ao cliente',
    'auxiliar tecnicamente, esclarecer dúvidas, analisar e corrigir eventuais falhas nos serviços',
    'possibilitar a contratação de produtos ou serviços',
    'acertos financeiros',
    'cumprimento de obrigação legal e regulatória',
    'por ordem fundamentada de autoridades competentes',
    // §3 storage
    'criptografia',
    'tanto em repouso quanto em trânsito',
    'a confidencialidade e a integridade das informações',
    'somente durante o período do contrato',
    'fiscalizações e obrigações legais ou regulatórias',
    // §4 revisions
    'será revisada e atualizada de tempos em tempos',
  ])('says %j', (phrase) => {
    expect(text).toContain(phrase);
  });

  it('states that sensitive data are not collected, with the Art. 11 kinds of the seed', () => {
    expect(markdown).toContain(SENSITIVE_DATA_SENTENCE);
    expect(SENSITIVE_DATA_SENTENCE).toContain(
      'Não coletamos "dados sensíveis" como origem racial ou étnica, convicção religiosa, opinião política, ' +
        'filiação a sindicato ou a organização de caráter religioso, filosófico ou político, dado referente à ' +
        'saúde ou à vida sexual, dado genético ou biométrico',
    );
  });

  it('names the controller, version, effective date and the four sections in order', () => {
    expect(markdown).toMatch(/^# Política de Privacidade\n/);
    expect(markdown).toContain('Cloud Serviços de Comunicação');
    expect(markdown).toContain('**Versão:** 1, vigente a partir de 26 de novembro de 2026');
    const headings = markdown.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## 1. Quais dados coletamos',
      '## 2. Por que coletamos os dados',
      '## 3. Armazenamento de dados',
      '## 4. Revisões desta política',
    ]);
  });

  it('describes every category and purpose of the policy with its legal basis', () => {
    for (const c of policy.categories) expect(markdown).toContain(`**${c.label.pt}:** ${c.description.pt}`);
    for (const p of policy.purposes) expect(markdown).toContain(`Base legal: ${p.legalBasis}.`);
  });

  it('renders the retention table in Portuguese words, flagging unverified sources', () => {
    expect(rowOf('Informações de contrato')).toContain('| 5 anos após o término do contrato |');
    expect(rowOf('Registros de acesso ao sistema')).toContain(
      '| 6 meses a partir da data de cada registro |',
    );
    expect(rowOf('Chamados de suporte')).toContain('| 2 anos após a resolução do chamado |');
    expect(rowOf('Gravações dos atendimentos')).toContain('90 dias');
    expect(rowOf('Informações de segurança do provisionamento')).toContain('término do contrato');
    expect(rowOf('Histórico de chamadas telefônicas')).toContain(
      'fonte a confirmar pelo jurídico da operadora',
    );
    expect(rowOf('Dados de tráfego')).toContain('fonte a confirmar');
    expect(rowOf('Informações de contrato')).not.toContain('fonte a confirmar');
    expect(rowOf('Requisições de autoridades')).toContain('fonte a confirmar');
    expect(markdown.match(/\(fonte a confirmar/g)).toHaveLength(3);
  });

  it('lists the version history, newest first', () => {
    const md = renderPolicyMarkdown(policy, {
      history: [{ version: 0, effectiveDate: '2025-01-10', summary: { pt: 'Texto original publicado.' } }],
    });
    const v1 = md.indexOf('**Versão 1**, vigente a partir de 26 de novembro de 2026');
    const v0 = md.indexOf(
      '**Versão 0**, vigente a partir de 10 de janeiro de 2025: Texto original publicado.',
    );
    expect(v1).toBeGreaterThan(0);
    expect(v0).toBeGreaterThan(v1);
  });
});

describe('retentionPeriodPt', () => {
  it.each([
    [{ kind: 'after', anchor: 'contract_end', period: 'P5Y' }, '5 anos após o término do contrato'],
    [{ kind: 'after', anchor: 'record_created', period: 'P1Y' }, '1 ano a partir da data de cada registro'],
    [
      { kind: 'after', anchor: 'record_created', period: 'P90D' },
      '90 dias a partir da data de cada registro',
    ],
    [
      { kind: 'after', anchor: 'ticket_resolved', period: 'P1Y6M' },
      '1 ano e 6 meses após a resolução do chamado',
    ],
  ] as const)('%j → %s', (rule, words) => {
    expect(retentionPeriodPt(rule)).toBe(words);
  });
});

describe('escaping', () => {
  const hostile = (): Policy => {
    const doc = structuredClone(policy);
    doc.controller.name = 'ACME <script>alert("x")</script> & Cia';
    const first = doc.categories[0];
    if (first) first.description.pt = 'Nome <b>completo</b> | com *ênfase* e [link](http://x)';
    return parsePolicy(doc);
  };

  it('escapes every policy value in HTML', () => {
    const page = renderPolicyHtml(hostile());
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>');
    expect(page).toContain('ACME &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cia');
    expect(page).toMatch(/^<!doctype html>\n<html lang="pt-BR">/);
  });

  it('escapes Markdown markup in policy values', () => {
    const md = renderPolicyMarkdown(hostile());
    expect(md).toContain('Nome \\<b\\>completo\\</b\\> \\| com \\*ênfase\\* e \\[link\\](http://x)');
    expect(md).not.toContain('<script>');
  });

  it('renders the same sections in HTML as in Markdown', () => {
    const page = renderPolicyHtml(policy);
    expect(page).toContain('<h2>1. Quais dados coletamos</h2>');
    expect(page).toContain('<h2>4. Revisões desta política</h2>');
    expect(page).toContain('<td>5 anos após o término do contrato</td>');
    expect(page).toContain('por ordem fundamentada de autoridades competentes');
    expect(page).toContain('Não coletamos &quot;dados sensíveis&quot;');
    expect(page.match(/<li>/g)?.length).toBe(markdown.match(/^- /gm)?.length);
  });
});

describe('what a later version may add to the public text', () => {
  const later = (change: (doc: Policy) => void): Policy => {
    const doc: Policy = structuredClone(policy);
    doc.version = policy.version + 1;
    change(doc);
    return parsePolicy(doc);
  };

  it('says nothing of operators or earlier data when the policy declares none', () => {
    expect(markdown).not.toContain('operadores');
    expect(markdown).not.toContain(APPLIES_TO_EXISTING_SENTENCE);
  });

  it('tells the subjects when a purpose applies to data collected before it (LGPD Art. 9 §2)', () => {
    const md = renderPolicyMarkdown(
      later((doc) => void (doc.purposes.find((p) => p.id === 'support')!.appliesToExisting = true)),
    );
    const line = md.split('\n').find((l) => l.includes(APPLIES_TO_EXISTING_SENTENCE)) ?? '';
    expect(line).toMatch(/^- \*\*Suporte/);
  });

  it('lists every operator with its service, data, purposes, country and transfer safeguard', () => {
    const md = renderPolicyMarkdown(
      later((doc) => {
        doc.operators.push({
          id: 'mailer',
          name: 'Correio Rápido Ltda',
          service: { pt: 'envio de e-mails' },
          categories: ['email', 'name'],
          purposes: ['support'],
          country: 'US',
          transferSafeguard: { pt: 'cláusulas-padrão contratuais da ANPD' },
        });
      }),
    );
    expect(md).toContain('contamos com operadores');
    const row = md.split('\n').find((l) => l.startsWith('| Correio Rápido Ltda |')) ?? '';
    expect(row).toContain('envio de e-mails');
    expect(row).toMatch(/Nome completo|Nome/);
    expect(row).toContain(
      'Estados Unidos (transferência internacional: cláusulas-padrão contratuais da ANPD)',
    );
  });
});

describe('duties in the published text', () => {
  it('leave the text unchanged: who handles holds or tokens is internal, and reaches no personal field', () => {
    const doc = structuredClone(policy);
    doc.dutyGrants = [{ role: 'billing', duties: ['legal_hold.read'] }];
    expect(renderPolicyMarkdown(parsePolicy(doc))).toBe(markdown);
  });
});
