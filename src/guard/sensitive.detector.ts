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
  /** When set, a match right after an institution noun ("Colégio Adventista") is not a finding. */
  notInstitution?: boolean;
  /** When set, the pattern runs only if the text contains one of these (every match contains one). */
  triggers?: string[];
}

const NETWORK_SUBJECT =
  /\b(?:linha|rede|conexao|internet|sinal|modem|roteador|cabo|fibra|central|aparelho|wi-?fi|onu|link|porta|sistema|servidor|voip|ura|tronco|ramal|chip|antena|poste|numero|telefone|celular|fixo|interfone|tela|app|aplicativo|fatura|conta|sinal|tv)\b[^.!?;]{0,30}$/;

const PARTIES =
  'pt|psdb|pl|psol|mdb|pdt|psb|pc do b|pcdob|novo|republicanos|uniao brasil|podemos|avante|pv|pp|psd|rede sustentabilidade|solidariedade|pstu|pco|partido \\w+';

/** A faith word right after one of these names an institution (a school, a hospital), not a person's faith. */
const INSTITUTION_BEFORE =
  /\b(?:colegio|escola|hospital|universidade|faculdade|instituto|clinica|rua|avenida|av|praca|bairro|edificio)\s+$/;

/** Politicians people name when they say whom they support. */
const POLITICIANS =
  'bolsonaro|lula|dilma|haddad|ciro(?: gomes)?|marina silva|alckmin|tarcisio|boulos|moro|temer|aecio|doria|marcal|nikolas';

/** Conditions a person has; each is about health wherever it appears in support text. */
const CONDITIONS =
  'asma|asmatic[oa]|bronquite|enfisema|hernia de disco|hernia|esclerose(?: multipla| lateral)?|fibromialgia|hipertens[oa]|hipertensao|pressao alta|enxaqueca|alcoolismo|alcoolatra|dependencia quimica|dependente quimic[oa]|burnout|sindrome de (?:down|burnout|[a-z]+)|surdez|cegueira|baixa visao|artrite|artrose|lupus|osteoporose|glaucoma|catarata|insuficiencia (?:renal|cardiaca|respiratoria)|trombose|convuls(?:ao|oes)|colesterol alto|cirrose|hemofilia|doenca de (?:crohn|chagas|huntington)|celiac[oa]|doenca celiaca|microcefalia|paralisia cerebral|zika|chikungunya|sarampo|meningite|pneumonia|bronquiolite|sequelas?|acamad[oa]|demencia|anorexia|bulimia|obesidade morbida|cancer de \\w+|tumor \\w+|anemia falciforme|transtorno (?:obsessivo|de \\w+|alimentar)|toc|hiperatividade|deficiencia intelectual|paciente (?:oncologic[oa]|renal|cardiac[oa]|psiquiatric[oa]|terminal)|oncologic[oa]|em tratamento (?:contra|para|de) [a-z]+|faco tratamento|fazendo tratamento|licenca medica|afastad[oa] (?:pelo inss|por (?:doenca|motivo de saude|problemas? de saude|uma? \\w+))|auxilio-?doenca|fisioterapia|uti neonatal|prematur[oa]|recuperando de uma? (?:cirurgia|operacao|infarto|avc|doenca)|cirurgia (?:no|na|de|do|da) (?:coracao|coluna|joelho|quadril|olho|olhos|cabeca|estomago|utero|mama|prostata|figado|rim|vesicula|ombro|cerebro)|quimio|gripad[oa]|resfriad[oa]|remedio controlado|medicacao controlada';

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
    p(
      '\\b(?:sou|e|eh|ficou|ficando|nasceu|nasci|esta ficando) (?:surd[oa]|ceg[oa]|mud[oa])s?\\b',
      0.85,
      true,
    ),
    t(
      ['doent', 'doenca', 'febre', 'coma', 'de cama', 'enferm'],
      '\\bdoentes?\\b|\\bdoenca\\b(?! genetica)|\\bcom febre\\b|\\bem coma\\b|\\bde cama\\b|\\benferm[oa]\\b',
      0.75,
      true,
    ),
    p(
      '\\bsofri uma queda\\b|\\b(?:quebrei|fraturei|quebrou|fraturou) (?:o|a|meu|minha) (?:braco|perna|pe|bacia|quadril|femur|costela|mao|joelho)\\b',
    ),
    p(`\\b(?:${CONDITIONS})\\b`, 0.85),
  ],
  religion: [
    {
      ...p(
        '\\b(?:evangelic[oa]s?|catolic[oa]s?(?: praticante)?|espiritas?|kardecista|umbanda|umbandista|candomble|candomblecista|(?:pai|mae) de santo|muculman[oa]s?|islamic[oa]|islamismo|judeu|judia|judaic[oa]|judaismo|shabat|budista|budismo|ateu|ateia|ateismo|agnostic[oa]|testemunhas? de jeova|adventista|mormon|hinduista|protestante|macumba)\\b',
      ),
      notInstitution: true,
    },
    p(
      '\\b(?:assembleia de deus|congregacao crista|igreja (?:universal|batista|presbiteriana|metodista|luterana|quadrangular|catolica|evangelica|adventista|mormon)|universal do reino|centro espirita|terreiro|sinagoga|mesquita)\\b(?<!(?:da|na|para a|pra) (?:igreja|sinagoga|mesquita)\\b)',
      0.8,
    ),
    t(
      ['missa', 'culto', 'reza', 'oracao', 'novena', 'ramada', 'quaresma', 'jejum'],
      '\\b(?:depois|antes|durante|na hora|horario|saindo|voltando|volto|vou|estou|to|fui|ir) (?:d[aoe] |[aoe] |na |no |pra |para (?:a|o) )?(?:missa|culto|reza|oracao|novena)s?\\b|\\b(?:ramada|ramadan|quaresma|jejum religioso)\\b',
      0.8,
    ),
    t(
      [
        'padre',
        'pastor',
        'freira',
        'rabino',
        'bispo',
        'diacono',
        'ima ',
        'obreiro',
        'seminarista',
        'paroquia',
      ],
      '\\b(?:sou|e|eh|o|a|meu|minha|nosso|nossa) (?:padre|pastor[a]?|freira|rabino|bispo|diacono|obreir[oa]|seminarista)\\b(?! (?:alemao|de ovelha))|\\bpadre da paroquia\\b',
      0.8,
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
      '\\b(?:votei|voto|votou|votaram|votamos|vou votar|vai votar|votaria) (?:no|na|em)\\b(?! (?:assembleia|condominio|reuniao))[^.,;]{0,25}',
    ),
    p('\\beleitor[a]? (?:do|da|de) (?!sao|santa)[a-z]+\\b'),
    t(
      ['filiad', 'militante', 'membro', 'candidat', 'simpatizante'],
      `\\b(?:filiad[oa]|militante|membro|candidat[oa](?: a \\w+)?|simpatizante)\\s+(?:ao|a|do|da|no|na|pelo|pela)\\s+(?:${PARTIES})\\b`,
    ),
    t(
      ['campanha', 'diretorio', 'comite'],
      `\\bcampanha (?:eleitoral|politica|d[oa] (?:candidat[oa]|deputad[oa]|vereador[a]?|prefeit[oa]|senador[a]?|governador[a]?|presidente|partido|${POLITICIANS}))\\b|\\b(?:diretorio|comite) (?:d[oa] |municipal d[oa] |estadual d[oa] )?(?:partido|${PARTIES})\\b`,
    ),
    p(
      `\\b(?:apoio|apoiamos|apoiador[a]? d[oa]|apoiei|defendo|admiro|fa d[oa]|sou d[oa]|eleitor[a]? d[oa]|odeio|contra) (?:o |a )?(?:${POLITICIANS}|mst|mtst|movimento (?:sem terra|sem teto|conservador|de direita|de esquerda|negro|feminista|lgbt\\w*)|partido \\w+)\\b`,
    ),
    t(
      ['conservador', 'progressista', 'liberal', 'socialista', 'apartidari', 'militante'],
      '\\b(?:sou|somos|e|eh|um|uma|movimento|militante) (?:conservador[a]?|progressista|socialista|anarquista|apartidari[oa])s?\\b|\\bmilitante (?:do|da|de) \\w+',
    ),
  ],
  union_membership: [
    p('\\bsindicalizad[oa]s?\\b|\\b(?:delegad[oa]|dirigente|contribuicao|imposto) sindical\\b'),
    p(
      '\\b(?:filiad[oa]|associad[oa]|membro|delegad[oa]|dirigente|diretor[a]?|presidente|soci[oa])\\s+(?:ao|a|do|da|de|no|na)\\s+sindicato\\b[^.,;]{0,40}',
    ),
    p('\\bmensalidade (?:do|ao|de) sindicato\\b|\\b(?:sou|e) do sindicato\\b'),
    t(
      ['greve', 'sindical', 'cut', 'ugt'],
      '\\b(?:estou|estamos|to|tou|entrei|entramos|ficamos|fiquei|vou entrar|aderi|aderimos|paralisamos) (?:em |de |na )?greve\\b|\\bsindicalistas?\\b|\\b(?:d?a|na|pela) (?:cut|ugt|ctb|forca sindical|nova central|csp-?conlutas)\\b|\\bforca sindical\\b|\\b(?:comissao de fabrica|central sindical|entidade sindical)\\b',
    ),
    p(
      '\\bsou (?:o |a )?(?:delegad[oa]|dirigente|diretor[a]?|presidente|secretari[oa]|tesoureir[oa]) (?:do |da )?(?:sindicato|sindical)\\b|\\b(?:delegad[oa]|dirigente) sindica(?:l|is)\\b',
    ),
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
    t(
      ['cor', 'raca', 'descendente', 'origem', 'macac', 'etnia'],
      '\\b(?:minha|sua|da|pela|por causa da) (?:cor|raca|etnia)\\b(?! (?:do|da|de) (?:cabo|fio|aparelho|chip|fatura|tela|capa))|\\b(?:descendente|descendencia) (?:de |d[oa]s? )?(?:japones|african|indigena|italian|aleman|arabe|libanes|chines|coreano|haitian|bolivian|quilombola)\\w*|\\bde origem (?:haitiana|africana|indigena|japonesa|arabe|cigana|asiatica|boliviana|venezuelana|angolana)\\b|\\bchamad[oa] de macac[oa]\\b',
    ),
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
    t(
      ['voz', 'rosto', 'face', 'facial', 'digital', 'prova de vida', 'biometri', 'cara'],
      '\\b(?:cadastr\\w+|gravei|gravar|registrei|registrar|grava) (?:a )?(?:minha |sua )?(?:voz|digital|face|rosto)\\b|\\b(?:mapa|foto|imagem|leitura|escaneamento) (?:d[oa] )?(?:meu |minha |seu |sua )?(?:rosto|face|cara)\\b|\\bprova de vida\\b|\\bbiometria\\b',
      0.85,
    ),
    p('\\bselfie (?:segurando|com) (?:o |um )?documento\\b|\\bfoto do (?:meu |seu )?rosto\\b'),
  ],
};

/** Every sensitive-category phrase in `folded` (the text after `foldText`). */
export function detectSensitive(folded: string): GuardFinding[] {
  const found: GuardFinding[] = [];
  for (const [cls, patterns] of Object.entries(PATTERNS) as [SensitiveClass, Pattern[]][]) {
    for (const { re, confidence, personOnly, notInstitution, triggers } of patterns) {
      // A pass of a long alternation over 2 KB costs tens of µs; `includes` of its key words costs far less.
      if (triggers && !triggers.some((w) => folded.includes(w))) continue;
      re.lastIndex = 0;
      for (const m of folded.matchAll(re)) {
        if (m[0].length === 0) continue;
        const start = m.index;
        const end = start + m[0].trimEnd().length;
        if (notInstitution && INSTITUTION_BEFORE.test(folded.slice(Math.max(0, start - 20), start))) continue;
        if (personOnly && NETWORK_SUBJECT.test(folded.slice(Math.max(0, start - 40), start))) continue;
        if (found.some((f) => f.class === cls && start < f.end && end > f.start)) continue;
        found.push({ class: cls, start, end, confidence });
      }
    }
  }
  return found;
}
