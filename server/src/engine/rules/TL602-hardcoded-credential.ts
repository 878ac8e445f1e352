import { defineRule } from '../rule';
import {
  SECRETS_LINKS,
  SECRETS_REF,
  advice,
  credentialValue,
  embeddedCredentials,
  envName,
  environFix,
  inTestCode,
  isDocstring,
  literalOf,
  mask,
  embeddedCredentialSpots,
  mayEmbedCredential,
  mayHoldCredential,
  providerTokens,
  secretClass,
  targetOf,
  wandbKeys,
  type SecretClass,
} from './secrets-patterns';

/** Every name the rule accepts contains one of these (checked, so the pre-check stays sound). */
const NAME_TRIGGERS = [
  'password', 'Password', 'PASSWORD', 'passwd', 'Passwd', 'PASSWD', 'passphrase', 'Passphrase', 'PASSPHRASE',
  'pwd', 'Pwd', 'PWD', 'secret', 'Secret', 'SECRET', 'key', 'Key', 'KEY', 'token', 'Token', 'TOKEN',
  'authorization', 'Authorization', 'AUTHORIZATION',
  // passwords in connection URLs (`postgresql://user:password@host/db`)
  '://',
];

const WHAT: Record<SecretClass, string> = {
  password: 'password',
  secret: 'secret',
  key: 'key',
  token: 'token',
  'weak-token': 'token',
  'auth-header': 'authorization token',
};

export default defineRule({
  meta: {
    id: 'TL602',
    name: 'hardcoded-credential',
    title: 'Credential assigned from a string literal',
    family: 'secrets',
    severity: 'medium',
    cwe: ['CWE-798', 'CWE-259'],
    ...SECRETS_LINKS,
    peers: { bandit: ['B105', 'B106', 'B107'], ruff: ['S105', 'S106', 'S107'] },
    docs: {
      finds:
        'A string literal that looks like a credential bound to a name that says it is one: a variable, attribute, ' +
        'dict key, keyword argument, parameter default or environment variable called `api_key`, `token`, `hf_token`, ' +
        '`secret`, `client_secret`, `password`, `Authorization` and the like, and passwords or keys written into URLs ' +
        '(`postgresql://user:<password>@host/db`, `?api_key=<key>`). Placeholders (`"YOUR_API_KEY"`, ' +
        '`"changeme"`, `"<token>"`), environment lookups, names, paths, prose, short or repetitive values, ' +
        'tokenizer tokens (`pad_token`) and test code are skipped; keys in a known provider format are TL601\'s.',
      why:
        'Secrets in code end up in every clone, notebook export and container image. A database password or a ' +
        'vector-store key in a training or RAG notebook opens the data behind the model to whoever reads the notebook; ' +
        'a hard-coded Flask/FastAPI secret key lets anyone forge sessions.',
      example: 'import pinecone\n\npc = pinecone.Pinecone(api_key="dvChO7SvSkTyabjisH9u4QkuR20faCia")\n',
      useInstead: 'import os\n\nimport pinecone\n\npc = pinecone.Pinecone(api_key=os.environ["PINECONE_API_KEY"])\n',
      references: [SECRETS_REF.cwe798, SECRETS_REF.cwe259, SECRETS_REF.atlas, SECRETS_REF.owasp],
    },
  },
  triggers: NAME_TRIGGERS,
  nodes: ['string'],
  // The literals `targetOf` can name (every other string has no target), plus the ones that may
  // hold a URL's password or a secret query parameter, wherever they are.
  patterns: `
(assignment right: (string) @node)
(keyword_argument value: (string) @node)
(pair value: (string) @node)
(default_parameter value: (string) @node)
(typed_default_parameter value: (string) @node)
(comparison_operator (string) @node)
(argument_list (string) @node)
`,
  spots: embeddedCredentialSpots,
  checkNode(node, ctx) {
    // Cheapest tests first: the literal's own text, then the name it is bound to; the tree is
    // only walked further for the few literals that pass both.
    const raw = ctx.text.slice(node.startIndex, node.endIndex);
    if (!mayHoldCredential(raw)) return;
    if (!nameNearby(ctx.text, node.startIndex, node.startIndex + raw.length) && !mayEmbedCredential(raw)) return;
    const scope = ctx.scopeOf(node);
    const target = targetOf(node, scope);
    let cls = target && isName(target.name) ? secretClass(target.name) : undefined;
    if (!cls && !mayEmbedCredential(raw)) return;
    if (isDocstring(node)) return;
    const lit = literalOf(node);
    if (!lit) return;
    if (providerTokens(lit, target).length > 0 || wandbKeys(lit, target).length > 0) return;
    if (target && cls && !lit.interpolated) {
      // A method that names the secret (`set_auth_token("...")`) is a weaker hint than an assignment.
      if (target.kind === 'call-arg' && cls !== 'weak-token') cls = 'key';
      const secret = credentialValue(lit.content, cls);
      if (secret) {
        if (inTestCode(node)) return;
        const envVar = cls === 'auth-header' ? 'API_TOKEN' : envName(target.name);
        const offset = lit.open.length + lit.content.lastIndexOf(secret);
        ctx.report({
          node,
          message:
            `Hard-coded ${WHAT[cls]} \`${mask(secret)}\` in \`${target.name}\`: anyone who can read this file, notebook or its git history can use it. ` +
            advice('Rotate', target, envVar),
          fixes: environFix(lit, target, { token: secret, offset, whole: secret === lit.content }, envVar, scope),
        });
        return;
      }
    }
    // Secrets inside a longer string: `postgresql://user:<password>@host/db`, `...?api_key=<key>`.
    const embedded = embeddedCredentials(lit).filter((e) => e.url !== undefined || NAME_TRIGGERS.some((t) => e.name.includes(t)));
    if (embedded.length === 0 || inTestCode(node)) return;
    for (const e of embedded) {
      const whole = e.url !== undefined && !lit.interpolated && e.url === lit.content;
      const envVar = e.url !== undefined ? e.urlVar : envName(e.name);
      const match = whole ? { token: lit.content, offset: lit.open.length, whole } : { token: e.secret, offset: e.offset, whole: false };
      const where = e.url !== undefined ? 'a connection URL' : `the \`${e.name}\` parameter of a URL`;
      ctx.report({
        node,
        message:
          `Hard-coded ${WHAT[e.cls]} \`${mask(e.secret)}\` in ${where}: anyone who can read this file, notebook or its git history can use it. ` +
          advice('Rotate', target, envVar),
        fixes: embedded.length === 1 && (e.url === undefined || whole) ? environFix(lit, target, match, envVar, scope) : [],
      });
    }
  },
});

const NAME_NEARBY = new RegExp([...NAME_TRIGGERS.filter((t) => t !== '://'), 'login'].join('|'));

/**
 * Whether a name that could make the literal at [start, end) a credential is written near it.
 * Every name `targetOf` reads sits right before the literal (`token = "..."`, `"api_key": "..."`,
 * `set_token("...")`, `os.getenv("HF_TOKEN", "...")`, `login("...")`, the key of a subscript)
 * or, in a comparison, right after it; 200 characters before and 80 after cover any layout short
 * of a pathological one, so the rest of the checks only run for literals with such a name around.
 */
function nameNearby(text: string, start: number, end: number): boolean {
  return NAME_NEARBY.test(text.slice(Math.max(0, start - 200), start)) || NAME_NEARBY.test(text.slice(end, end + 80));
}

/** Variable, attribute and parameter names, dict keys and header names; not labels like `"AWS::IAM::AccessKey"`. */
function isName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) && NAME_TRIGGERS.some((t) => name.includes(t));
}
