/**
 * LGPD Art. 11 categories in Portuguese support text, by phrase patterns over folded text (lower case, no
 * accents: "saude" matches "Saúde" and the unaccented "saude" people type). A word that telecom staff also use
 * for equipment ("a linha está doente", "o roteador está com febre", "o cabo está cego") counts only when no
 * network noun stands just before it; words that are only ever about a person ("internada", "diabético") count
 * alone. Matching is by phrase, not by single words, so "cabo preto", "TV digital" and "Igreja Matriz" (an
 * installation address) are not findings.
 */
import type { GuardFinding, SensitiveClass } from './guard-classes.ts';

interface Pattern {
  re: RegExp;
  confidence: number;
  /** When set, a match preceded (within 30 units) by a network or equipment noun is not a finding. */
  personOnly?: boolean;
  /** When set, the pattern runs only if the text contains one of these (every match contains one). */
  triggers?: string[];
}

const NETWORK_SUBJECT =
  /\b(?:linha|rede|conexao|internet|sinal|modem|roteador|cabo|fibra|central|aparelho|wi-?fi|onu|link|porta|sistema|servidor|voip|ura|tronco|ramal|chip|antena|poste)\b[^.!?;]{0,30}$/;

const PARTIES =
  'pt|psdb|pl|psol|mdb|pdt|psb|pc do b|pcdob|novo|republicanos|uniao brasil|podemos|avante|pv|pp|psd|rede sustentabilidade|solidariedade|pstu|pco|partido \\w+';

const p = (source: string, confidence = 0.9, personOnly = false, triggers?: string[]): Pattern => ({
  re: new RegExp(source, 'g'),
  confidence,
  personOnly,
  ...(triggers ? { triggers } : {}),
});
/** A pattern that runs only when the text contains one of `triggers` (each match must contain one). */
const t = (triggers: string[], source: string, confidence = 0.9, personOnly = false): Pattern =>
  p(source, confidence, personOnly, triggers);

const PATTERNS: Record<SensitiveClass, Pattern[]> = {
  health: [
    p(
      '\\b(?:cancer|tumor|leucemia|linfoma|metastase|diabet(?:es|ic[oa]s?)|hiv|aids|soropositiv[oa]|alzheimer|parkinson|epilep(?:sia|tic[oa])|esquizofreni(?:a|c[oa])|transtorno bipolar|bipolar|autis(?:mo|ta)s?|tdah|depressao|depressiv[oa]|sindrome do panico|crise de ansiedade|transtorno de ansiedade|avc|infarto|derrame cerebral|hemodialise|dialise|quimioterapia|quimio|radioterapia|marca-?passo|insulina|antidepressiv[oa]s?|covid(?:-19)?|dengue|tuberculose|hepatite|cadeirante|paraplegic[oa]|tetraplegic[oa]|amputad[oa]|mobilidade reduzida|gravid[ao]|gravidez|gestante|pre-?natal|deficien(?:te|cia) (?:auditiv[oa]|visual|fisic[oa]|intelectual|mental)|laudo medico|atestado medico|receita medica|prontuario|internad[oa]s?|internacao|hospitalizad[oa]|na uti|cid[ -]?[a-z]\\d{2}|psiquiatr[ai]|oncologista|cardiologista|neurologista|problemas? de saude|estado de saude|tratamento (?:medico|oncologico|psiquiatrico|de saude))\\b',
    ),
    p(
      '\\b(?:fiz|fez|fizeram|vou fazer|vai fazer|passei por|passou por|operad[oa] de|fazer) (?:uma )?cirurgia\\b(?! (?:no|na|nos|nas) (?:cabo|fibra|rede|poste|linha|modem|roteador|caixa|central))',
    ),
    p(
      '\\b(?:tem|tenho|teve|tive|sofre de|sofro de|diagnosticad[oa] com|portador[a]? de) (?:uma )?doenca(?! genetica)\\b',
    ),
    p('\\bdoenca (?:rara|cronica|grave|degenerativa|autoimune|cardiaca|renal)\\b'),
    p('\\b(?:sou|e|eh|ficou|ficando|nasceu|nasci|esta ficando) (?:surd[oa]|ceg[oa]|mud[oa])s?\\b', 0.85),
    t(
      ['doent', 'doenca', 'febre', 'coma', 'de cama', 'enferm'],
      '\\bdoentes?\\b|\\bdoenca\\b(?! genetica)|\\bcom febre\\b|\\bem coma\\b|\\bde cama\\b|\\benferm[oa]\\b',
      0.75,
      true,
    ),
    p(
      '\\bsofri uma queda\\b|\\b(?:quebrei|fraturei|quebrou|fraturou) (?:o|a|meu|minha) (?:braco|perna|pe|bacia|quadril|femur|costela|mao|joelho)\\b',
    ),
  ],
  religion: [
    p(
      '\\b(?:evangelic[oa]s?|catolic[oa]s?(?: praticante)?|espiritas?|kardecista|umbanda|umbandista|candomble|candomblecista|(?:pai|mae) de santo|muculman[oa]s?|islamic[oa]|islamismo|judeu|judia|judaic[oa]|judaismo|shabat|budista|budismo|ateu|ateia|ateismo|agnostic[oa]|testemunhas? de jeova|adventista|mormon|hinduista|protestante|macumba)\\b',
    ),
    t(
      ['religi', ' fe', 'igreja', 'crenca', 'crente', 'crist'],
      '\\b(?:minha|nossa) (?:religiao|fe|igreja|crenca)\\b|\\b(?:sou|somos) (?:crente|cristao|crista|religios[oa])s?\\b',
    ),
    p(
      '\\bpastor[a]? d[ao] (?:igreja|assembleia|congregacao)\\b|\\bfrequento (?:a|o) (?:igreja|missa|mesquita|sinagoga|terreiro|centro espirita|templo)\\b|\\bgira\\b(?= [^.]{0,20}(?:umbanda|terreiro))?',
    ),
  ],
  political_opinion: [
    t(
      ['petista', 'bolsonarista', 'lulista', 'esquerdista', 'direitista', 'comunista', 'anarquista'],
      '\\b(?:petista|bolsonarista|lulista|esquerdista|direitista|comunista|anarquista|antipetista)s?\\b',
    ),
    t(
      ['esquerda', 'direita'],
      '\\b(?:sou|somos|e|eh|sou mais) (?:de|da) (?:esquerda|direita|centro-?esquerda|centro-?direita)\\b',
    ),
    t(
      ['vot'],
      '\\b(?:votei|voto|votamos|vou votar) (?:no|na|em)\\b(?! (?:assembleia|condominio|reuniao))[^.,;]{0,25}',
    ),
    p('\\beleitor[a]? (?:do|da|de) (?!sao|santa)[a-z]+\\b'),
    t(
      ['filiad', 'militante', 'membro', 'candidat', 'simpatizante'],
      `\\b(?:filiad[oa]|militante|membro|candidat[oa](?: a \\w+)?|simpatizante)\\s+(?:ao|a|do|da|no|na|pelo|pela)\\s+(?:${PARTIES})\\b`,
    ),
  ],
  union_membership: [
    p('\\bsindicalizad[oa]s?\\b|\\b(?:delegad[oa]|dirigente|contribuicao|imposto) sindical\\b'),
    p(
      '\\b(?:filiad[oa]|associad[oa]|membro|delegad[oa]|dirigente|diretor[a]?|presidente|soci[oa])\\s+(?:ao|a|do|da|de|no|na)\\s+sindicato\\b[^.,;]{0,40}',
    ),
    p('\\bmensalidade (?:do|ao|de) sindicato\\b|\\b(?:sou|e) do sindicato\\b'),
  ],
  sexual_life: [
    t(
      [
        'gay',
        'lesbica',
        'bissexua',
        'homossexua',
        'pansexua',
        'assexua',
        'transexua',
        'transgenero',
        'travesti',
        'homoafetiv',
        'lgbt',
        'sexual',
      ],
      '\\b(?:gays?|lesbicas?|bissexua(?:l|is)|homossexua(?:l|is)|pansexua(?:l|is)|assexua(?:l|is)|transexua(?:l|is)|transgeneros?|travestis?|homoafetiv[oa]s?|lgbt\\w*|orientacao sexual|vida sexual)\\b',
    ),
    p('\\b(?:mulher|homem|pessoa|menina|menino) trans\\b'),
  ],
  racial_ethnic_origin: [
    t(
      ['afrodescend', 'quilombola', 'indigena', 'etnia', 'racia', 'racis', 'cor da pele', 'cigan'],
      '\\b(?:afrodescendentes?|quilombolas?|indigenas?|etnia|injuria racial|racismo|racistas?|discriminacao racial|cor da pele|ciganos?|ciganas?)\\b',
    ),
    t(
      ['negr', 'pret', 'pard', 'mulat'],
      '\\b(?<!(?:vermelho|azul|branco|verde|amarelo|cinza|laranja|marrom) )(?:sou|somos|e|eh|pessoa|pessoas|mulher|homem|crianca|cliente) (?:negr[oa]s?|pret[oa]s?|pard[oa]s?|mulat[oa]s?)\\b',
    ),
    p('\\b(?:raca|comunidade) negra\\b'),
  ],
  genetic: [
    t(
      ['dna', 'genetic', 'genoma', 'genotip', 'gene ', 'brca', 'sequenciamento', 'paternidade', 'hereditari'],
      '\\b(?:(?:exame|teste|resultado|laudo) (?:de )?dna|dna|geneticas?|geneticos?|genoma|genotip\\w*|mutacao no gene|gene [a-z]+\\d+|brca\\d?|sequenciamento|teste de paternidade|hereditari[oa]s?)\\b',
    ),
  ],
  biometric: [
    p(
      '\\b(?:biometri\\w*|impressa(?:o|oes) digita(?:l|is)|reconhecimento (?:facial|de voz|da face|da voz)|face ?id|touch ?id|(?:leitura|scanner|leitor) (?:da|de) (?:iris|retina)|iris|retina|impressao vocal|assinatura vocal|geometria da mao|dados faciais)\\b',
    ),
    p(
      '\\b(?:a|minha|sua|cadastrei a|cadastrar a|leitor de|leitura da) digital\\b(?! (?:do contrato|da nota))',
    ),
    p('\\bselfie (?:segurando|com) (?:o |um )?documento\\b|\\bfoto do (?:meu |seu )?rosto\\b'),
  ],
};

/** Every sensitive-category phrase in `folded` (the text after `foldText`). */
export function detectSensitive(folded: string): GuardFinding[] {
  const found: GuardFinding[] = [];
  for (const [cls, patterns] of Object.entries(PATTERNS) as [SensitiveClass, Pattern[]][]) {
    for (const { re, confidence, personOnly, triggers } of patterns) {
      // A pass of a long alternation over 2 KB costs tens of µs; `includes` of its key words costs far less.
      if (triggers && !triggers.some((w) => folded.includes(w))) continue;
      re.lastIndex = 0;
      for (const m of folded.matchAll(re)) {
        if (m[0].length === 0) continue;
        const start = m.index;
        const end = start + m[0].trimEnd().length;
        if (personOnly && NETWORK_SUBJECT.test(folded.slice(Math.max(0, start - 40), start))) continue;
        if (found.some((f) => f.class === cls && start < f.end && end > f.start)) continue;
        found.push({ class: cls, start, end, confidence });
      }
    }
  }
  return found;
}
