/**
 * The differences between two policy versions as Portuguese sentences for the people the policy is about
 * ("Nova finalidade: …", "Retenção de Telefone: de 5 anos … para 10 anos …"), built from `diffPolicies` and the
 * labels of both versions. Structural paths stay available beside them for staff.
 */
import { diffPolicies, dutyPairs, isLoosening } from './policy.diff.ts';
import { countryPt, retentionPeriodPt } from './policy.render.ts';
import type { DetectorAction, Masking, Operation, Policy } from './policy.schema.ts';

const OPERATION_PT: Record<Operation, string> = {
  read: 'consultar',
  write: 'registrar ou alterar',
  delete: 'eliminar',
  export: 'exportar',
};
const MASKING_PT: Record<Masking, string> = {
  none: 'sem mascaramento',
  partial: 'com mascaramento parcial',
  hidden: 'sem ver o conteúdo',
};
const DETECTOR_PT: Record<DetectorAction, string> = {
  reject: 'recusar o texto',
  redact: 'remover os trechos encontrados',
  quarantine: 'reter o texto para revisão do encarregado',
};

const label = (items: readonly { id: string; label: { pt: string } }[], id: string): string =>
  items.find((i) => i.id === id)?.label.pt ?? id;

/** One Portuguese sentence per change from `a` to `b`, loosening first said in its own sentence. */
export function describeChangesPt(a: Policy, b: Policy): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const once = (key: string, line: string): void => {
    if (!seen.has(key)) {
      seen.add(key);
      out.push(line);
    }
  };
  const categoryPt = (id: string): string => label([...b.categories, ...a.categories], id);
  const purposePt = (id: string): string => label([...b.purposes, ...a.purposes], id);
  const rolePt = (id: string): string => label([...b.roles, ...a.roles], id);
  const dutyPt = (id: string): string => label([...b.duties, ...a.duties], id);

  if (isLoosening(a, b)) {
    out.push(
      'Esta versão amplia o tratamento de dados pessoais (mais acesso, retenção mais longa ou verificação mais branda) ' +
        'e só vale depois de aprovada por um segundo encarregado.',
    );
  }

  // Grants as the matrix role → purpose → category → operation → masking, so every leaf is one sentence.
  const grantLeaves = (p: Policy): Map<string, Masking> => {
    const m = new Map<string, Masking>();
    for (const g of p.grants)
      for (const c of g.categories)
        for (const o of g.operations) m.set(`${g.role}|${g.purpose}|${c}|${o}`, g.masking);
    return m;
  };
  const before = grantLeaves(a);
  const after = grantLeaves(b);

  for (const change of diffPolicies(a, b)) {
    const path = change.path;
    const head = path.split(/[.[]/)[0];
    if (head === 'grants' || head === 'dutyGrants') continue;
    if (head === 'retention') {
      const id = path.split('.')[1] ?? '';
      const ra = a.retention.find((r) => r.category === id);
      const rb = b.retention.find((r) => r.category === id);
      const text = !ra
        ? `Nova regra de retenção para ${categoryPt(id)}: ${rb ? retentionPeriodPt(rb.rule) : ''}.`
        : !rb
          ? `Regra de retenção de ${categoryPt(id)} retirada.`
          : `Retenção de ${categoryPt(id)}: de ${retentionPeriodPt(ra.rule)} para ${retentionPeriodPt(rb.rule)}.`;
      once(`retention:${id}`, text);
      continue;
    }
    const applied = /^purposes\[([^\]]+)\]\.appliesToExisting$/.exec(path);
    if (applied) {
      const name = purposePt(applied[1] ?? '');
      once(
        path,
        change.after === true
          ? `A finalidade ${name} passa a valer também para os dados coletados antes dela; os titulares são informados (LGPD, Art. 9º, § 2º).`
          : `A finalidade ${name} deixa de valer para os dados coletados antes dela.`,
      );
      continue;
    }
    const operator = /^operators\[([^\]]+)\]/.exec(path);
    if (operator) {
      const id = operator[1] ?? '';
      const oa = a.operators.find((o) => o.id === id);
      const ob = b.operators.find((o) => o.id === id);
      const what = (o: NonNullable<typeof ob>): string =>
        `${o.name} (${o.service.pt}), que recebe ${o.categories.map(categoryPt).join(', ')} para ` +
        `${o.purposes.map(purposePt).join(', ')}, no país ${countryPt(o.country)}`;
      once(
        `operators:${id}`,
        !oa && ob
          ? `Novo operador: ${what(ob)}.`
          : oa && !ob
            ? `Operador retirado: ${oa.name}.`
            : `Operador alterado: ${what(ob!)} (antes: ${what(oa!)}).`,
      );
      continue;
    }
    const item = /^(categories|purposes|roles|duties)\[([^\]]+)\]/.exec(path);
    if (item) {
      const [, kind, id = ''] = item;
      const noun =
        kind === 'categories'
          ? 'categoria de dados'
          : kind === 'purposes'
            ? 'finalidade'
            : kind === 'duties'
              ? 'atribuição'
              : 'perfil';
      const name =
        kind === 'categories'
          ? categoryPt(id)
          : kind === 'purposes'
            ? purposePt(id)
            : kind === 'duties'
              ? dutyPt(id)
              : rolePt(id);
      // "perfil" is masculine, "categoria" and "finalidade" feminine.
      const [added, removed] = kind === 'roles' ? ['Novo', 'retirado'] : ['Nova', 'retirada'];
      if (path === item[0] && change.before === undefined) once(path, `${added} ${noun}: ${name}.`);
      else if (path === item[0] && change.after === undefined)
        once(path, `${capital(noun)} ${removed}: ${name}.`);
      else if (path.endsWith('.legalBasis'))
        once(path, `Base legal de ${name}: de ${String(change.before)} para ${String(change.after)}.`);
      else once(item[0], `${capital(noun)} ${name}: descrição ou campos alterados.`);
      continue;
    }
    const detector = /^detectors\.(fields|classes)\["([^"]+)"\]/.exec(path);
    if (detector) {
      const field = detector[2] ?? '';
      const act = (v: unknown): string =>
        typeof v === 'string' && v in DETECTOR_PT ? DETECTOR_PT[v as DetectorAction] : 'sem verificação';
      if (detector[1] === 'fields')
        once(path, `Texto livre em ${field}: de ${act(change.before)} para ${act(change.after)}.`);
      else once(path, `Texto livre em ${field}: regras por tipo de dado alteradas.`);
      continue;
    }
    if (path === 'effectiveDate') out.push(`Vigência a partir de ${String(change.after)}.`);
    else if (path.startsWith('controller'))
      once('controller', 'Dados do controlador ou do encarregado alterados.');
  }

  for (const [key, masking] of after) {
    const [role = '', purpose = '', category = '', operation = 'read'] = key.split('|');
    const what = `o perfil ${rolePt(role)} pode ${OPERATION_PT[operation as Operation]} ${categoryPt(category)} para ${purposePt(purpose)}`;
    const old = before.get(key);
    if (old === undefined) out.push(`Novo acesso: ${what}, ${MASKING_PT[masking]}.`);
    else if (old !== masking)
      out.push(`Acesso alterado: ${what}, agora ${MASKING_PT[masking]} (antes ${MASKING_PT[old]}).`);
  }
  for (const [key] of before) {
    if (after.has(key)) continue;
    const [role = '', purpose = '', category = '', operation = 'read'] = key.split('|');
    out.push(
      `Acesso retirado: o perfil ${rolePt(role)} não pode mais ${OPERATION_PT[operation as Operation]} ${categoryPt(category)} para ${purposePt(purpose)}.`,
    );
  }
  const dutiesBefore = dutyPairs(a);
  const dutiesAfter = dutyPairs(b);
  for (const pair of dutiesAfter) {
    const [role = '', duty = ''] = pair.split('/');
    if (!dutiesBefore.has(pair)) out.push(`Nova atribuição do perfil ${rolePt(role)}: ${dutyPt(duty)}.`);
  }
  for (const pair of dutiesBefore) {
    const [role = '', duty = ''] = pair.split('/');
    if (!dutiesAfter.has(pair)) out.push(`Atribuição retirada do perfil ${rolePt(role)}: ${dutyPt(duty)}.`);
  }
  return out;
}

function capital(s: string): string {
  return s.charAt(0).toLocaleUpperCase('pt-BR') + s.slice(1);
}
