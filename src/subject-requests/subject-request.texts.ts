/**
 * The Portuguese words of the subject's requests, for the report and the export: request types, states, and the
 * per-category outcomes of deletion, anonymisation, blocking and correction answers (from the stored summary,
 * which holds codes and ids only).
 */
import type { Policy } from '../policy/policy.schema.ts';
import type { RequestState, RequestType } from './subject-request.model.ts';

export const REQUEST_TYPE_PT: Record<RequestType, string> = {
  confirmation: 'Confirmação da existência de tratamento',
  access_simplified: 'Acesso aos dados (formato simplificado)',
  access_complete: 'Acesso aos dados (declaração completa)',
  correction: 'Correção de dados',
  anonymisation: 'Anonimização de dados desnecessários ou excessivos',
  blocking: 'Bloqueio de dados desnecessários ou excessivos',
  deletion: 'Eliminação de dados',
  portability: 'Portabilidade',
  sharing_information: 'Informação sobre compartilhamento',
  consent_refusal_information: 'Informação sobre a possibilidade de não consentir',
  revocation: 'Revogação do consentimento',
  access_history: 'Histórico de acessos',
  caller_identification: 'Identificação de chamada recebida',
};

export const REQUEST_STATE_PT: Record<RequestState, string> = {
  received: 'recebida',
  identity_verified: 'identidade confirmada',
  in_progress: 'em andamento',
  answered: 'respondida',
  refused: 'recusada',
};

const OUTCOME_PT: Record<string, string> = {
  deleted: 'eliminados',
  anonymised: 'eliminados (anonimização)',
  expired: 'prazo encerrado; eliminados na próxima rotina de eliminação',
  kept: 'conservados por obrigação legal até o fim do prazo',
  necessary: 'mantidos, por serem necessários ao contrato em vigor',
  blocked: 'bloqueados: usados somente para obrigação legal ou regulatória e exercício regular de direitos',
};

const ITEM_PT: Record<string, string> = {
  person_name: 'Nome',
  phone: 'Telefone',
  email: 'Email',
  postal_address: 'Endereço físico',
};

/** The answer of a request, sentence by sentence in Portuguese (empty for answers that are documents). */
export function answerStatementsPt(
  policy: Policy,
  type: RequestType,
  answer: Record<string, unknown> | null,
): string[] {
  if (!answer) return [];
  const label = (c: string): string => policy.categories.find((x) => x.id === c)?.label.pt ?? c;
  if (type === 'correction') {
    const items = (answer.corrected as { item: string }[] | undefined) ?? [];
    return items.map((i) => `${ITEM_PT[i.item] ?? i.item}: corrigido.`);
  }
  if (type === 'deletion' || type === 'anonymisation' || type === 'blocking') {
    const out = Object.entries((answer.categories as Record<string, string> | undefined) ?? {}).map(
      ([c, o]) => `${label(c)}: ${OUTCOME_PT[o] ?? o}.`,
    );
    if (answer.shredded === true) out.unshift('Todos os dados foram eliminados (chaves destruídas).');
    return out;
  }
  return [];
}
