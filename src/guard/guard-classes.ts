/** The classes the sensitive-data guard reports, and the shape of one finding. */

/** Brazilian identifiers and contact data: found by shape, check digits where they exist, and context words. */
export const IDENTIFIER_CLASSES = [
  'cpf',
  'cnpj',
  'rg',
  'cnh',
  'pis',
  'titulo_eleitor',
  'cns',
  'phone',
  'email',
  'cep',
  'card',
  'ip',
  'pix_key',
] as const;

/** LGPD Art. 11 categories of sensitive personal data. */
export const SENSITIVE_CLASSES = [
  'health',
  'religion',
  'political_opinion',
  'union_membership',
  'sexual_life',
  'racial_ethnic_origin',
  'genetic',
  'biometric',
] as const;

export const GUARD_CLASSES = [...IDENTIFIER_CLASSES, ...SENSITIVE_CLASSES] as const;

export type IdentifierClass = (typeof IDENTIFIER_CLASSES)[number];
export type SensitiveClass = (typeof SENSITIVE_CLASSES)[number];
export type GuardClass = (typeof GUARD_CLASSES)[number];

/** One thing found in a text: its class, where it is (UTF-16 offsets, end exclusive) and how sure the guard is. */
export interface GuardFinding {
  class: GuardClass;
  start: number;
  end: number;
  /** 0–1: check digits and a naming word ≈ 0.99; shape alone lower; a contextual phrase lower still. */
  confidence: number;
}

/** Portuguese names of the classes, used in redaction marks that support staff read. */
export const CLASS_LABELS_PT: Record<GuardClass, string> = {
  cpf: 'CPF',
  cnpj: 'CNPJ',
  rg: 'RG',
  cnh: 'CNH',
  pis: 'PIS/NIS',
  titulo_eleitor: 'título de eleitor',
  cns: 'CNS',
  phone: 'telefone',
  email: 'e-mail',
  cep: 'CEP',
  card: 'cartão',
  ip: 'IP',
  pix_key: 'chave PIX',
  health: 'saúde',
  religion: 'religião',
  political_opinion: 'opinião política',
  union_membership: 'filiação sindical',
  sexual_life: 'vida sexual',
  racial_ethnic_origin: 'origem racial ou étnica',
  genetic: 'dado genético',
  biometric: 'dado biométrico',
};
