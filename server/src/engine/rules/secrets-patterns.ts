/**
 * Shared by the secrets rules (TL601-TL603): the token formats of the services ML code talks to,
 * the tests that tell a real-looking secret from a placeholder, where a string literal is bound
 * (its "target": a variable, attribute, dict key, keyword argument or environment variable), the
 * masking used in messages and the fix that reads the value from the environment instead.
 */
import { CallSite } from '../call';
import { ensureImport, removeArgument, replaceNode } from '../edits';
import type { Node } from '../parser';
import type { Scope } from '../scope';
import type { Fix, TextEdit } from '../types';
import { qualifiedName } from '../values';

/** Credentials in code and notebooks: how ClearviewAI's and Microsoft's storage were opened, and what ShadowRay's attackers collected. */
export const SECRETS_LINKS = {
  threats: ['MLT-007', 'MLT-035', 'MLT-024'],
  techniques: ['AML.T0055', 'AML.T0012'],
};

export const SECRETS_REF = {
  cwe798: { title: 'CWE-798: Use of Hard-coded Credentials', url: 'https://cwe.mitre.org/data/definitions/798.html' },
  cwe259: { title: 'CWE-259: Use of Hard-coded Password', url: 'https://cwe.mitre.org/data/definitions/259.html' },
  atlas: { title: 'MITRE ATLAS AML.T0055: Unsecured Credentials', url: 'https://atlas.mitre.org/techniques/AML.T0055' },
  owasp: { title: 'OWASP Secrets Management Cheat Sheet', url: 'https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html' },
  hfTokens: { title: 'Hugging Face: user access tokens', url: 'https://huggingface.co/docs/hub/security-tokens' },
  openaiKeys: { title: 'OpenAI: best practices for API key safety', url: 'https://help.openai.com/en/articles/5112595-best-practices-for-api-key-safety' },
  wandbEnv: { title: 'W&B: environment variables (WANDB_API_KEY)', url: 'https://docs.wandb.ai/guides/track/environment-variables/' },
};

// ---------------------------------------------------------------------------------------------
// String literals

export interface Literal {
  node: Node;
  /** `"`, `f'`, `rb"""` ... */
  open: string;
  close: string;
  /** Source text between the delimiters. */
  content: string;
  /** Literal runs of the string (outside `{...}` of an f-string), with offsets into `node.text`. */
  pieces: { text: string; offset: number }[];
  interpolated: boolean;
  bytes: boolean;
  triple: boolean;
}

export function literalOf(node: Node): Literal | undefined {
  if (node.type !== 'string') return undefined;
  const start = node.namedChildren.find((c) => c?.type === 'string_start');
  const end = node.namedChildren.find((c) => c?.type === 'string_end');
  if (!start || !end) return undefined;
  const pieces: Literal['pieces'] = [];
  let interpolated = false;
  for (const c of node.namedChildren) {
    if (!c) continue;
    if (c.type === 'interpolation') interpolated = true;
    else if (c.type === 'string_content') pieces.push({ text: c.text, offset: c.startIndex - node.startIndex });
  }
  const open = start.text;
  const close = end.text;
  return {
    node,
    open,
    close,
    content: node.text.slice(open.length, node.text.length - close.length),
    pieces,
    interpolated,
    bytes: /b/i.test(open.replace(/["']/g, '')),
    triple: close.length === 3,
  };
}

/** A bare string statement: a docstring or a string used as a comment. Never a live value. */
export function isDocstring(node: Node): boolean {
  let n: Node | null = node;
  if (n.parent?.type === 'concatenated_string') n = n.parent;
  return n.parent?.type === 'expression_statement' && n.parent.namedChildCount === 1;
}

// ---------------------------------------------------------------------------------------------
// Telling secrets from placeholders

const PLACEHOLDER_WORDS =
  /example|xxxx|your|dummy|fake|placeholder|redacted|changeme|change_me|change-me|sample|test|mock|insert|replace|here|foobar|invalid|notreal|secret_key|api_key|apikey|api-key|password|token/i;

/** Character classes present in `s`: u(pper), l(ower), d(igit), s(ymbol). */
function classesOf(s: string): string {
  let out = '';
  if (/[A-Z]/.test(s)) out += 'u';
  if (/[a-z]/.test(s)) out += 'l';
  if (/[0-9]/.test(s)) out += 'd';
  if (/[^A-Za-z0-9]/.test(s)) out += 's';
  return out;
}

/** Runs of one character or of consecutive characters (`aaaaa`, `12345`, `abcde`, `54321`). */
function hasPattern(s: string, length: number): boolean {
  let same = 1;
  let up = 1;
  let down = 1;
  const t = s.toLowerCase();
  for (let i = 1; i < t.length; i++) {
    const d = t.charCodeAt(i) - t.charCodeAt(i - 1);
    same = d === 0 ? same + 1 : 1;
    up = d === 1 && /[a-z0-9]/.test(t[i]) ? up + 1 : 1;
    down = d === -1 && /[a-z0-9]/.test(t[i]) ? down + 1 : 1;
    if (same >= length || up >= length || down >= length) return true;
  }
  return false;
}

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/**
 * True when `s` is mostly made of words: kebab/snake segments that are all lower-case, Capitalised
 * or all upper-case letters, or numbers (`my-staging-key-2`, `sk-learn-Pipeline-v2`).
 */
function wordy(s: string): boolean {
  const segments = s.split(/[-_./]/).filter((x) => x.length > 0);
  if (segments.length < 2) return false;
  const words = segments.filter((x) => /^(?:[a-z]+|[A-Z][a-z]+|[A-Z]+|v?\d+)$/.test(x) && (x.length >= 2 || /\d/.test(x)));
  return words.reduce((n, w) => n + w.length, 0) * 2 >= segments.reduce((n, w) => n + w.length, 0);
}

/**
 * The random part of a token looks random: not a placeholder word, no long runs, enough distinct
 * characters and the character classes `classes` (letters of `uld`) all present.
 */
export function looksRandom(random: string, classes: string, whole = random): boolean {
  if (PLACEHOLDER_WORDS.test(whole)) return false;
  if (hasPattern(random, 5)) return false;
  const found = classesOf(random);
  for (const c of classes) if (!found.includes(c)) return false;
  const distinct = new Set(random).size;
  if (distinct < Math.min(10, Math.floor(random.length * 0.4))) return false;
  if (random.length >= 16 && entropy(random) < 3) return false;
  if (random.length >= 24 && wordy(random)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Provider token formats

export interface Provider {
  id: string;
  /** For messages: `OpenAI API key`. */
  label: string;
  /** The conventional environment variable for it. */
  envVar: string;
  pattern: RegExp;
  /** The random part of a match (prefixes removed). */
  random(token: string): string;
  /** Character classes the random part must contain. */
  classes: string;
}

const NOT_BEFORE = '(?<![A-Za-z0-9_-])';
const NOT_AFTER = '(?![A-Za-z0-9_-])';
const re = (body: string) => new RegExp(NOT_BEFORE + body + NOT_AFTER, 'g');

export const PROVIDERS: readonly Provider[] = [
  {
    id: 'anthropic',
    label: 'Anthropic API key',
    envVar: 'ANTHROPIC_API_KEY',
    pattern: re('sk-ant-[A-Za-z0-9_-]{32,}'),
    random: (t) => t.replace(/^sk-ant-(?:[a-z]+\d*-)?/, ''),
    classes: 'uld',
  },
  {
    id: 'openai',
    label: 'OpenAI API key',
    envVar: 'OPENAI_API_KEY',
    pattern: re('sk-(?!ant-)[A-Za-z0-9_-]{32,}'),
    random: (t) => t.replace(/^sk-(?:(?:proj|svcacct|admin|None)-)?/, ''),
    classes: 'uld',
  },
  {
    id: 'huggingface',
    label: 'Hugging Face token',
    envVar: 'HF_TOKEN',
    pattern: re('hf_[A-Za-z]{34}'),
    random: (t) => t.slice(3),
    classes: 'ul',
  },
  {
    id: 'aws-access-key-id',
    label: 'AWS access key id',
    envVar: 'AWS_ACCESS_KEY_ID',
    pattern: re('(?:AKIA|ASIA)[A-Z0-9]{16}'),
    random: (t) => t.slice(4),
    classes: 'u',
  },
  {
    id: 'google',
    label: 'Google API key',
    envVar: 'GOOGLE_API_KEY',
    pattern: re('AIza[0-9A-Za-z_-]{35}'),
    random: (t) => t.slice(4),
    classes: 'ul',
  },
  {
    id: 'github',
    label: 'GitHub token',
    envVar: 'GITHUB_TOKEN',
    pattern: re('(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})'),
    random: (t) => t.replace(/^(?:gh[pousr]_|github_pat_)/, ''),
    classes: 'ul',
  },
  {
    id: 'replicate',
    label: 'Replicate API token',
    envVar: 'REPLICATE_API_TOKEN',
    pattern: re('r8_[A-Za-z0-9]{37}'),
    random: (t) => t.slice(3),
    classes: 'ul',
  },
  {
    id: 'groq',
    label: 'Groq API key',
    envVar: 'GROQ_API_KEY',
    pattern: re('gsk_[A-Za-z0-9]{52}'),
    random: (t) => t.slice(4),
    classes: 'uld',
  },
];

export const AWS_SECRET: Provider = {
  id: 'aws-secret-access-key',
  label: 'AWS secret access key',
  envVar: 'AWS_SECRET_ACCESS_KEY',
  pattern: /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
  random: (t) => t,
  classes: 'uld',
};

export const PRIVATE_KEY: Provider = {
  id: 'private-key',
  label: 'private key (PEM block)',
  envVar: 'PRIVATE_KEY',
  pattern: /-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----/g,
  random: (t) => t,
  classes: 'uld',
};

export const AZURE_SAS: Provider = {
  id: 'azure-sas',
  label: 'Azure Storage SAS token',
  envVar: 'AZURE_STORAGE_SAS_TOKEN',
  pattern: /(?:^|[?&])sig=([A-Za-z0-9%+/=]{30,})/,
  random: (t) => t,
  classes: 'ul',
};

export const AZURE_ACCOUNT_KEY: Provider = {
  id: 'azure-storage-key',
  label: 'Azure Storage account key',
  envVar: 'AZURE_STORAGE_KEY',
  pattern: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])/,
  random: (t) => t,
  classes: 'uld',
};

const AZURE_CONNECTION: Provider = { ...AZURE_ACCOUNT_KEY, envVar: 'AZURE_STORAGE_CONNECTION_STRING' };
const ACCOUNT_KEY_IN_TEXT = /AccountKey=([A-Za-z0-9+/]{86}==)/g;
const QUERY_CHAR = /[A-Za-z0-9%+/=&:._-]/;

/**
 * An Azure SAS query (`sv=2021-06-08&...&sig=...`) in a piece of text: its extent (the whole query,
 * which is what a fix moves to the environment) and its signature.
 */
function sasToken(text: string): { start: number; end: number; sig: string } | undefined {
  const sv = /(?:^|[?&])sv=\d{4}-\d{2}-\d{2}/.exec(text);
  const sig = AZURE_SAS.pattern.exec(text);
  if (!sv || !sig) return undefined;
  const signature = sig[1];
  if (!looksRandom(signature.replace(/%[0-9A-Fa-f]{2}/g, ''), 'ul')) return undefined;
  const at = (m: RegExpExecArray) => m.index + (/^[?&]/.test(m[0]) ? 1 : 0);
  let start = Math.min(at(sv), at(sig));
  while (start > 0 && QUERY_CHAR.test(text[start - 1])) start--;
  let end = sig.index + sig[0].length;
  while (end < text.length && QUERY_CHAR.test(text[end])) end++;
  return { start, end, sig: signature };
}

/** `aws_secret_access_key = ...` inside a string (a credentials file written from code). */
const AWS_SECRET_IN_TEXT = /(?:aws_secret_access_key|AWS_SECRET_ACCESS_KEY)\s*[=:]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/g;

export interface TokenMatch {
  provider: Provider;
  /** The text a fix replaces (the key, or the whole connection string or SAS query holding it). */
  token: string;
  /** The secret itself, for the masked message (defaults to `token`). */
  secret?: string;
  /** Offset of the token in `literal.node.text`. */
  offset: number;
  /** The token is the whole literal. */
  whole: boolean;
  /** False when only part of the secret was matched (a PEM header): no fix can move it. */
  fixable?: boolean;
}

/** The text after a PEM header up to its END line has a long random base64 body. */
function pemBody(text: string, after: number): boolean {
  const rest = text.slice(after, after + 4000);
  const end = rest.indexOf('-----END');
  const body = (end >= 0 ? rest.slice(0, end) : rest).replace(/\\n|\\r|\s/g, '');
  if (!/^[A-Za-z0-9+/=]+$/.test(body) || body.length < 64) return false;
  return looksRandom(body.slice(0, 64), 'uld');
}

/** Provider tokens recognised by their format (and AWS secret keys by their context) in a literal. */
/**
 * A cheap test that a string literal's text could hold any provider token: a known prefix or
 * marker, or the exact length of a key recognised only by its name (AWS secret, Azure key).
 * `providerTokens` can only match when this is true, so callers may skip the costly context work.
 */
export function mayHoldProviderToken(text: string): boolean {
  return QUICK_PROVIDER_HINT.test(text) || /^[A-Za-z0-9/+=]{40}$|^[A-Za-z0-9/+=]{86,88}$/.test(text);
}

const QUICK_PROVIDER_HINT = /sk-|hf_|AKIA|ASIA|AIza|gh[pousr]_|github_pat_|r8_|gsk_|PRIVATE KEY|sig=|AccountKey=|aws_secret_access_key|AWS_SECRET_ACCESS_KEY/;

export function providerTokens(lit: Literal, target: Target | undefined): TokenMatch[] {
  const out: TokenMatch[] = [];
  const whole = (offset: number, token: string) =>
    !lit.interpolated && offset === lit.open.length && token.length === lit.content.length;
  for (const piece of lit.pieces) {
    for (const provider of PROVIDERS) {
      for (const m of piece.text.matchAll(provider.pattern)) {
        const token = m[0];
        if (!looksRandom(provider.random(token), provider.classes, token)) continue;
        const offset = piece.offset + (m.index ?? 0);
        out.push({ provider, token, offset, whole: whole(offset, token) });
      }
    }
    for (const m of piece.text.matchAll(PRIVATE_KEY.pattern)) {
      const at = m.index ?? 0;
      if (!pemBody(piece.text, at + m[0].length)) continue;
      const offset = piece.offset + at;
      const trimmed = lit.content.trim().replace(/(?:\\n)+$/, '');
      const complete = !lit.interpolated && trimmed.startsWith('-----BEGIN') && trimmed.endsWith('-----');
      out.push({ provider: PRIVATE_KEY, token: m[0], offset, whole: complete, fixable: complete });
    }
    for (const m of piece.text.matchAll(AWS_SECRET_IN_TEXT)) {
      const key = m[1];
      if (!looksRandom(key, 'uld')) continue;
      const offset = piece.offset + (m.index ?? 0) + m[0].length - key.length;
      out.push({ provider: AWS_SECRET, token: key, offset, whole: false });
    }
    const sas = sasToken(piece.text);
    if (sas) {
      const offset = piece.offset + sas.start;
      const token = piece.text.slice(sas.start, sas.end);
      out.push({ provider: AZURE_SAS, token, secret: sas.sig, offset, whole: whole(offset, token) });
    }
    for (const m of piece.text.matchAll(ACCOUNT_KEY_IN_TEXT)) {
      const key = m[1];
      if (!looksRandom(key, 'uld')) continue;
      // A whole connection string is replaced by its own variable; a key inside other text by the key's.
      const connection = !lit.interpolated && lit.pieces.length === 1 && /^(?:[A-Za-z]+=[^;]*;)*AccountKey=[^;]*(?:;[A-Za-z]+=[^;]*)*;?$/.test(lit.content);
      if (connection) out.push({ provider: AZURE_CONNECTION, token: lit.content, secret: key, offset: lit.open.length, whole: true });
      else out.push({ provider: AZURE_ACCOUNT_KEY, token: key, offset: piece.offset + (m.index ?? 0) + m[0].length - key.length, whole: false });
    }
  }
  if (target && isAzureKeyName(target.name) && !lit.interpolated && AZURE_ACCOUNT_KEY.pattern.test(lit.content) && lit.content.length === 88) {
    if (looksRandom(lit.content, 'uld')) out.push({ provider: AZURE_ACCOUNT_KEY, token: lit.content, offset: lit.open.length, whole: true });
  }
  if (target && isAwsSecretName(target.name) && !lit.interpolated && /^[A-Za-z0-9/+]{40}$/.test(lit.content)) {
    if (looksRandom(lit.content, 'uld') && !out.some((t) => t.provider === AWS_SECRET)) {
      out.push({ provider: AWS_SECRET, token: lit.content, offset: lit.open.length, whole: true });
    }
  }
  return out;
}

/** Words of TL601's triggers that an AWS secret key's or Azure account key's name must contain (keeps the triggers sound). */
export const AWS_SECRET_NAME_TRIGGERS = ['secret', 'Secret', 'SECRET'];
export const AZURE_KEY_NAME_TRIGGERS = ['account_key', 'accountKey', 'AccountKey', 'ACCOUNT_KEY', 'storage_key', 'STORAGE_KEY', 'credential'];

function isAzureKeyName(name: string): boolean {
  return AZURE_KEY_NAME_TRIGGERS.some((t) => name.includes(t));
}

function isAwsSecretName(name: string): boolean {
  if (!AWS_SECRET_NAME_TRIGGERS.some((t) => name.includes(t))) return false;
  const words = splitWords(name);
  return words.includes('secret') && (words.includes('aws') || words.includes('access'));
}

// ---------------------------------------------------------------------------------------------
// W&B keys

export const WANDB_TRIGGERS = ['wandb', 'WANDB', 'Wandb'];
const WANDB_HEX = /^(?:local-)?[0-9a-f]{40}$/;
const WANDB_IN_TEXT = [
  /(?<![A-Za-z0-9_])WANDB_API_KEY\s*[=:]\s*["']?((?:local-)?[0-9a-f]{40})(?![0-9A-Za-z])/g,
  /\bwandb\s+login\s+(?:--?[a-z-]+\s+)*((?:local-)?[0-9a-f]{40})(?![0-9A-Za-z])/g,
];

function wandbRandom(key: string): boolean {
  return looksRandom(key.replace(/^local-/, ''), 'ld');
}

/** True when the target is where a W&B key goes: `wandb.login(key=...)`, `WANDB_API_KEY = ...`. */
function isWandbTarget(target: Target): boolean {
  if (target.kind === 'keyword' && target.callee === 'wandb.login' && target.name === 'key') return true;
  if (target.kind === 'keyword' && target.callee === 'wandb.Api' && target.name === 'api_key') return true;
  if (!WANDB_TRIGGERS.some((t) => target.name.includes(t))) return false;
  const words = splitWords(target.name);
  const last = words[words.length - 1];
  return words.includes('wandb') && (last === 'key' || last === 'apikey' || last === 'token');
}

const WANDB: Provider = {
  id: 'wandb',
  label: 'Weights & Biases API key',
  envVar: 'WANDB_API_KEY',
  pattern: WANDB_HEX,
  random: (t) => t.replace(/^local-/, ''),
  classes: 'ld',
};

/** A W&B API key in the literal: by its context, or written after `WANDB_API_KEY=` / `wandb login`. */
export function wandbKeys(lit: Literal, target: Target | undefined): TokenMatch[] {
  const provider = WANDB;
  if (target && !lit.interpolated && WANDB_HEX.test(lit.content) && isWandbTarget(target) && wandbRandom(lit.content)) {
    return [{ provider, token: lit.content, offset: lit.open.length, whole: true }];
  }
  const out: TokenMatch[] = [];
  for (const piece of lit.pieces) {
    for (const pattern of WANDB_IN_TEXT) {
      for (const m of piece.text.matchAll(pattern)) {
        const key = m[1];
        if (!wandbRandom(key)) continue;
        out.push({ provider, token: key, offset: piece.offset + (m.index ?? 0) + m[0].length - key.length, whole: false });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Where a literal is bound

export type TargetKind =
  /** `api_key = "..."` */
  | 'name'
  /** `openai.api_key = "..."` */
  | 'attribute'
  /** `config["api_key"] = "..."`, `{"api_key": "..."}` */
  | 'key'
  /** `OpenAI(api_key="...")` */
  | 'keyword'
  /** `def connect(password="...")` */
  | 'param'
  /** `if password == "..."` */
  | 'compare'
  /** `login("...")`, `ngrok.set_auth_token("...")` */
  | 'call-arg'
  /** `os.environ["K"] = "..."`, `os.environ.setdefault("K", "...")`: the code sets the variable itself */
  | 'env'
  /** `os.getenv("K", "...")`: a hard-coded fallback */
  | 'env-default';

export interface Target {
  kind: TargetKind;
  name: string;
  /** Canonical name of the call the literal is passed to, when it resolves. */
  callee?: string;
  call?: Node;
  /** For `env-default`: the node to remove (the keyword argument or the positional literal). */
  argument?: Node;
}

const ENV_GETTERS = new Set(['os.getenv', 'os.environ.get']);
const ENV_SETTERS = new Set(['os.environ.setdefault', 'os.putenv']);

function same(a: Node | null | undefined, b: Node): boolean {
  return !!a && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

/** The text of a plain (non-f, non-bytes) string literal, else undefined. */
export function plainString(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  const lit = literalOf(node);
  if (!lit || lit.interpolated || lit.bytes) return undefined;
  return lit.content;
}

function calleeOf(call: Node | null | undefined, scope: Scope): string | undefined {
  if (!call || call.type !== 'call') return undefined;
  const fn = call.childForFieldName('function');
  return fn ? qualifiedName(fn, scope) : undefined;
}

function positionalArgs(args: Node): Node[] {
  const out: Node[] = [];
  for (const c of args.namedChildren) {
    if (!c || c.type === 'comment') continue;
    if (c.type === 'keyword_argument' || c.type === 'dictionary_splat') continue;
    if (c.type === 'list_splat') break;
    out.push(c);
  }
  return out;
}

function nameOfTarget(left: Node, scope: Scope): Target | undefined {
  if (left.type === 'identifier') return { kind: 'name', name: left.text };
  if (left.type === 'attribute') {
    const attr = left.childForFieldName('attribute');
    return attr ? { kind: 'attribute', name: attr.text } : undefined;
  }
  if (left.type === 'subscript') {
    const key = plainString(left.childForFieldName('subscript'));
    const object = left.childForFieldName('value');
    if (key === undefined || !object) return undefined;
    return qualifiedName(object, scope) === 'os.environ' ? { kind: 'env', name: key } : { kind: 'key', name: key };
  }
  return undefined;
}

/** Where the string literal `str` is bound, if anywhere a name can tell what it is. */
export function targetOf(str: Node, scope: Scope): Target | undefined {
  const p = str.parent;
  if (!p) return undefined;
  switch (p.type) {
    case 'assignment': {
      const left = p.childForFieldName('left');
      return same(p.childForFieldName('right'), str) && left ? nameOfTarget(left, scope) : undefined;
    }
    case 'keyword_argument': {
      const name = p.childForFieldName('name')?.text;
      if (!name || !same(p.childForFieldName('value'), str)) return undefined;
      const call = p.parent?.type === 'argument_list' ? p.parent.parent : null;
      const callee = calleeOf(call, scope);
      if (call && callee && ENV_GETTERS.has(callee) && name === 'default') {
        const key = envKeyOf(call);
        return key === undefined ? undefined : { kind: 'env-default', name: key, callee, call, argument: p };
      }
      if (callee === 'os.environ.update') return { kind: 'env', name, callee };
      return { kind: 'keyword', name, callee, call: call ?? undefined };
    }
    case 'pair': {
      if (!same(p.childForFieldName('value'), str)) return undefined;
      const key = plainString(p.childForFieldName('key'));
      if (key === undefined) return undefined;
      const args = p.parent?.type === 'dictionary' ? p.parent.parent : null;
      const callee = args?.type === 'argument_list' ? calleeOf(args.parent, scope) : undefined;
      return callee === 'os.environ.update' ? { kind: 'env', name: key, callee } : { kind: 'key', name: key };
    }
    case 'default_parameter':
    case 'typed_default_parameter': {
      const name = p.childForFieldName('name');
      return name?.type === 'identifier' && same(p.childForFieldName('value'), str) ? { kind: 'param', name: name.text } : undefined;
    }
    case 'comparison_operator': {
      const ops = p.children.filter((c) => c && !c.isNamed).map((c) => c!.type);
      if (ops.length !== 1 || (ops[0] !== '==' && ops[0] !== '!=')) return undefined;
      const other = p.namedChildren.find((c) => c && !same(c, str));
      if (other?.type === 'identifier') return { kind: 'compare', name: other.text };
      if (other?.type === 'attribute') {
        const attr = other.childForFieldName('attribute');
        return attr ? { kind: 'compare', name: attr.text } : undefined;
      }
      return undefined;
    }
    case 'argument_list': {
      const call = p.parent;
      const callee = calleeOf(call, scope);
      if (!call) return undefined;
      const index = positionalArgs(p).findIndex((a) => same(a, str));
      if (index < 0) return undefined;
      if (callee && ENV_GETTERS.has(callee) && index === 1) {
        const key = envKeyOf(call);
        return key === undefined ? undefined : { kind: 'env-default', name: key, callee, call, argument: str };
      }
      if (callee && ENV_SETTERS.has(callee) && index === 1) {
        const key = envKeyOf(call);
        return key === undefined ? undefined : { kind: 'env', name: key, callee, call };
      }
      if (index !== 0) return undefined;
      if (callee === 'huggingface_hub.login') return { kind: 'call-arg', name: 'token', callee, call };
      // `ngrok.set_auth_token("...")`, `client.set_api_key("...")`: the method names the secret.
      const fn = call.childForFieldName('function');
      const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.type === 'identifier' ? fn.text : undefined;
      const m = method ? /^(?:set|use|with)(?:_|(?=[A-Z]))(.+)$/.exec(method) : null;
      return m ? { kind: 'call-arg', name: m[1], callee, call } : undefined;
    }
    default:
      return undefined;
  }
}

/** The first argument of `os.getenv(K, ...)` / `os.environ.setdefault(K, ...)` as a string. */
function envKeyOf(call: Node): string | undefined {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return undefined;
  const first = positionalArgs(args)[0];
  if (first) return plainString(first);
  for (const c of args.namedChildren) {
    if (c?.type === 'keyword_argument' && (c.childForFieldName('name')?.text === 'key' || c.childForFieldName('name')?.text === 'name')) {
      return plainString(c.childForFieldName('value'));
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Names that hold secrets, and values that look like one

/** `openaiApiKey`, `OPENAI_API_KEY`, `x-api-key` → lower-case words. */
export function splitWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

export type SecretClass = 'password' | 'secret' | 'key' | 'token' | 'weak-token' | 'auth-header';

/** Names whose values are digests or ids even when they also say "key" or "token". */
const DIGEST_WORDS = new Set([
  'sha', 'sha1', 'sha256', 'sha512', 'md5', 'hash', 'checksum', 'digest', 'commit', 'revision', 'rev', 'etag',
  'fingerprint', 'nonce', 'salt', 'uuid',
]);

const KEY_PREFIXES = new Set([
  'api', 'access', 'private', 'auth', 'subscription', 'account', 'master', 'signing', 'encryption', 'client', 'license',
  'service', 'app', 'developer', 'consumer', 'storage', 'sas', 'admin', 'write', 'read', 'hmac', 'openai', 'anthropic',
  'cohere', 'pinecone', 'serpapi', 'serper', 'tavily', 'mistral', 'groq', 'gemini', 'google', 'azure', 'comet',
  'kaggle', 'together', 'voyage', 'qdrant', 'weaviate', 'elevenlabs', 'fireworks', 'deepseek', 'perplexity',
]);

const TOKEN_PREFIXES = new Set([
  'hf', 'huggingface', 'hub', 'auth', 'access', 'api', 'bearer', 'github', 'gh', 'gitlab', 'bot', 'refresh', 'session',
  'sas', 'secret', 'private', 'personal', 'oauth', 'slack', 'discord', 'telegram', 'replicate', 'wandb', 'openai',
  'client', 'service', 'app', 'security', 'write', 'read', 'ngrok', 'jwt', 'admin', 'kaggle', 'comet', 'neptune',
  'dagshub', 'mlflow', 'databricks', 'azure', 'aws', 'gcp', 'login', 'user', 'id',
]);

/** `<x>_token` names of tokenizer and chat-template tokens, pagination cursors and the like. */
const NOT_SECRET_TOKENS = new Set([
  'pad', 'bos', 'eos', 'unk', 'sep', 'cls', 'mask', 'start', 'end', 'stop', 'sos', 'eot', 'eom', 'image', 'img', 'video',
  'audio', 'vision', 'special', 'additional', 'placeholder', 'default', 'begin', 'boundary', 'split', 'delimiter',
  'separator', 'prefix', 'suffix', 'system', 'assistant', 'think', 'tool', 'response', 'fim', 'middle', 'next', 'page',
  'continuation', 'cursor', 'first', 'last', 'new', 'max', 'min', 'num', 'input', 'output', 'decoder', 'encoder',
  'sentinel', 'vocab', 'word', 'sub', 'char', 'byte', 'chat', 'role', 'init', 'ignore', 'answer', 'question', 'label',
  'class', 'target', 'query', 'context', 'doc', 'text', 'sample', 'csrf', 'xsrf', 'cancellation', 'sync', 'lock', 'retry',
  'oov', 'blank', 'space', 'newline', 'eol', 'mention', 'entity', 'pagination', 'continue', 'resume', 'update',
  'verification', 'confirmation', 'validation', 'idempotency', 'request', 'cache', 'lexer', 'parser', 'current', 'prev',
  'previous', 'sentence', 'span', 'dummy',
]);

/** What kind of secret a name holds, or undefined for names that hold none. */
export function secretClass(name: string): SecretClass | undefined {
  const words = splitWords(name);
  if (words.length === 0 || words.some((w) => DIGEST_WORDS.has(w))) return undefined;
  const last = words[words.length - 1];
  const prev = words.length > 1 ? words[words.length - 2] : undefined;
  switch (last) {
    case 'password':
    case 'passwd':
    case 'passphrase':
      return 'password';
    case 'pwd':
      return prev ? 'password' : undefined; // `PWD` alone is the working directory
    case 'secret':
    case 'clientsecret':
    case 'secretkey':
      return 'secret';
    case 'apikey':
    case 'accesskey':
    case 'authkey':
    case 'privatekey':
    case 'subscriptionkey':
      return 'key';
    case 'key':
      if (prev === 'secret' || prev === 'jwt') return 'secret';
      return prev && KEY_PREFIXES.has(prev) ? 'key' : undefined;
    case 'token':
    case 'authtoken':
    case 'accesstoken':
    case 'apitoken':
      if (!prev || last !== 'token' || TOKEN_PREFIXES.has(prev)) return 'token';
      return NOT_SECRET_TOKENS.has(prev) ? undefined : 'weak-token';
    case 'authorization':
      return 'auth-header';
    default:
      return undefined;
  }
}

const PATH_LIKE = /^(?:\/|\.\.?\/|~|[A-Za-z]:\\)|:\/\/|\\|\.(?:json|txt|pem|key|env|ya?ml|cfg|ini|toml|pkl|pt|bin|crt|csv|py|sh|log)$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i;
const ENV_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * The secret in a value bound to a name of class `cls`, or undefined when the value is a
 * placeholder, a name, a path, prose or too short and regular to be a credential.
 */
export function credentialValue(value: string, cls: SecretClass): string | undefined {
  let v = value;
  if (cls === 'auth-header') {
    const m = /^(?:Bearer|bearer|Token|token|Basic|basic|Bot)\s+(\S+)$/.exec(v);
    if (!m) return undefined;
    v = m[1];
    cls = 'token';
  }
  if (v.length === 0 || /\s/.test(v)) return undefined;
  if (/[<>{}$%*\[\]|`…]|\.\.\./.test(v)) return undefined;
  if (PLACEHOLDER_WORDS.test(v) || PLACEHOLDER_WORDS.test(unleet(v)) || /none|null|undefined|default|enter|demo|admin/i.test(v)) return undefined;
  if (PATH_LIKE.test(v) || EMAIL.test(v) || ENV_NAME.test(v)) return undefined;
  if (/[/]/.test(v) && /-/.test(v) && REPO_ID.test(v)) return undefined;
  if (hasPattern(v, 5)) return undefined;
  const distinct = new Set(v).size;
  const classes = classesOf(v);
  const digit = /\d/.test(v);
  // A symbol other than the separators of names (`aws_secret_access_key`, `serverlessrepo:applicationId`).
  const symbol = /[^A-Za-z0-9_.:/-]/.test(v);
  // Random mixed-case letters switch case often; CamelCase names do not.
  const randomLetters = v.length >= 24 && caseSwitches(v) > 0.3;
  const shortHex = /^[0-9a-f]+$/i.test(v) && v.length < 32;
  switch (cls) {
    case 'password':
      if (v.length < 6 || classes.length < 2 || distinct < 4) return undefined;
      return v;
    case 'secret':
      if (v.length < 8 || classes.length < 2 || distinct < 6 || (!digit && !symbol) || shortHex) return undefined;
      return v;
    case 'key':
    case 'token':
      if (v.length < 16 || classes.replace('s', '').length < 2 || distinct < 8 || wordy(v) || shortHex) return undefined;
      return digit || randomLetters ? v : undefined;
    case 'weak-token':
      if (v.length < 20 || !digit || !/[A-Za-z]/.test(v) || distinct < 10 || wordy(v) || shortHex || UUID.test(v)) return undefined;
      return v;
    default:
      return undefined;
  }
}

/**
 * Cheap test on the source text of a string literal (prefix and quotes included) that lets through
 * every literal `credentialValue` or `embeddedCredentials` could accept, whatever its name: a URL
 * or query parameter (`://`, `=`), or a value of 6+ characters, of at least two character classes
 * and four distinct characters, without whitespace (or an authorization header `Bearer <token>`).
 * Most literals of a program (keys, labels, prose, docstrings) fail it and are never looked at.
 */
export function mayHoldCredential(raw: string): boolean {
  if (raw.includes('://') || raw.includes('=')) return true;
  const q = /["']/.exec(raw);
  if (!q) return false;
  const quote = raw.startsWith(q[0].repeat(3), q.index) ? q[0].repeat(3) : q[0];
  let v = raw.slice(q.index + quote.length, raw.length - quote.length);
  if (/\s/.test(v)) {
    const m = /^(?:Bearer|bearer|Token|token|Basic|basic|Bot)\s+(\S+)$/.exec(v);
    if (!m) return false;
    v = m[1];
  }
  return v.length >= 6 && classesOf(v).length >= 2 && new Set(v).size >= 4;
}

/** Offsets in a source text where a literal may embed a credential (`://`, `?name=`, `&name=`), for `Rule.spots`. */
export function embeddedCredentialSpots(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf('://'); i !== -1; i = text.indexOf('://', i + 3)) out.push(i);
  for (const m of text.matchAll(/[?&][A-Za-z][A-Za-z0-9_-]*=/g)) out.push(m.index);
  return out;
}

/** Cheap test for `embeddedCredentials`: a URL with user info (`://` and `@`) or a query parameter (`?name=`, `&name=`). */
export function mayEmbedCredential(raw: string): boolean {
  return (raw.includes('://') && raw.includes('@')) || /[?&][A-Za-z][A-Za-z0-9_-]*=/.test(raw);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `P@55w0rd` → `password`: placeholders written in leetspeak. */
function unleet(v: string): string {
  const map: Record<string, string> = { '@': 'a', '4': 'a', '3': 'e', '1': 'i', '!': 'i', '0': 'o', '5': 's', '$': 's', '7': 't' };
  return v.replace(/[@4310!5$7]/g, (c) => map[c]);
}

/** Share of adjacent letter pairs that switch case. */
function caseSwitches(v: string): number {
  let pairs = 0;
  let switches = 0;
  for (let i = 1; i < v.length; i++) {
    const a = v[i - 1];
    const b = v[i];
    if (!/[A-Za-z]/.test(a) || !/[A-Za-z]/.test(b)) continue;
    pairs++;
    if ((a === a.toUpperCase()) !== (b === b.toUpperCase())) switches++;
  }
  return pairs ? switches / pairs : 0;
}

/** A credential written inside a longer string: a URL's password or a secret query parameter. */
export interface EmbeddedCredential {
  /** The parameter name, or `password` for a URL's user info. */
  name: string;
  cls: SecretClass;
  secret: string;
  /** Offset of the secret in `literal.node.text`. */
  offset: number;
  /** For a URL password: the environment variable that conventionally holds the whole URL. */
  urlVar?: string;
  url?: string;
}

const URL_PASSWORD = /(?<![A-Za-z0-9+.-])([a-z][a-z0-9+.-]*):\/\/([^:/@\s"'?#]*):([^@/\s"'?#]+)@[^\s"'@]+/g;
const QUERY_SECRET = /[?&]([A-Za-z][A-Za-z0-9_-]*)=([^&#\s"']+)/g;
const URL_VARS: Record<string, string> = {
  postgres: 'DATABASE_URL', postgresql: 'DATABASE_URL', mysql: 'DATABASE_URL', mariadb: 'DATABASE_URL', mssql: 'DATABASE_URL',
  oracle: 'DATABASE_URL', mongodb: 'MONGODB_URI', 'mongodb+srv': 'MONGODB_URI', redis: 'REDIS_URL', rediss: 'REDIS_URL',
  amqp: 'AMQP_URL', amqps: 'AMQP_URL',
};

export function embeddedCredentials(lit: Literal): EmbeddedCredential[] {
  const out: EmbeddedCredential[] = [];
  for (const piece of lit.pieces) {
    for (const m of piece.text.matchAll(URL_PASSWORD)) {
      const secret = credentialValue(decodeSafe(m[3]), 'password') === undefined ? undefined : m[3];
      if (!secret) continue;
      const at = (m.index ?? 0) + m[1].length + 3 + m[2].length + 1;
      const scheme = m[1].split('+')[0] === 'mongodb' && m[1].endsWith('+srv') ? 'mongodb+srv' : m[1].split('+')[0];
      out.push({ name: 'password', cls: 'password', secret, offset: piece.offset + at, urlVar: URL_VARS[scheme], url: m[0] });
    }
    for (const m of piece.text.matchAll(QUERY_SECRET)) {
      const cls = secretClass(m[1]);
      if (!cls || cls === 'auth-header' || credentialValue(decodeSafe(m[2]), cls) === undefined) continue;
      out.push({ name: m[1], cls, secret: m[2], offset: piece.offset + (m.index ?? 0) + m[0].length - m[2].length });
    }
  }
  return out;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Inside test code: a `test_*` function, a `Test*` class, a pytest fixture, or a module importing pytest/unittest. */
export function inTestCode(node: Node): boolean {
  for (let n: Node | null = node.parent; n; n = n.parent) {
    if (n.type === 'function_definition') {
      const name = n.childForFieldName('name')?.text ?? '';
      if (/^test/i.test(name)) return true;
      const decorated = n.parent?.type === 'decorated_definition' ? n.parent : null;
      if (decorated?.namedChildren.some((d) => d?.type === 'decorator' && /\bfixture\b/.test(d.text))) return true;
    }
    if (n.type === 'class_definition' && /^Test|Test$|Tests$/.test(n.childForFieldName('name')?.text ?? '')) return true;
  }
  const root = node.tree.rootNode;
  return root.namedChildren.some(
    (s) => (s?.type === 'import_statement' || s?.type === 'import_from_statement') && /^(?:import|from)\s+(?:pytest|unittest)\b/.test(s.text),
  );
}

// ---------------------------------------------------------------------------------------------
// Messages and fixes

/** At most the first and last four characters, fewer for short values. */
export function mask(secret: string): string {
  if (secret.length >= 24) return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
  if (secret.length >= 16) return `${secret.slice(0, 4)}…${secret.slice(-2)}`;
  if (secret.length >= 12) return `${secret.slice(0, 2)}…${secret.slice(-2)}`;
  return '…';
}

/** `api_key`, `self.apiKey`, `x-api-key` → `API_KEY`, `API_KEY`, `X_API_KEY`. */
export function envName(name: string): string | undefined {
  const words = splitWords(name);
  const out = words.join('_').toUpperCase();
  return /^[A-Z_][A-Z0-9_]*$/.test(out) ? out : undefined;
}

/** The literal may be replaced by an expression: not bytes, not part of an implicit concatenation or a pattern. */
function replaceable(lit: Literal): boolean {
  if (lit.bytes || lit.node.parent?.type === 'concatenated_string') return false;
  for (let n: Node | null = lit.node.parent; n; n = n.parent) {
    if (n.type === 'interpolation' || n.type === 'case_pattern' || n.type === 'case_clause') return false;
    if (n.type.endsWith('statement') || n.type === 'block') break;
  }
  return true;
}

const EMBEDDED_FIX_KINDS = new Set<TargetKind>(['name', 'attribute', 'key', 'keyword', 'param']);

/**
 * The fix for a hard-coded secret: read it from `os.environ[envVar]` (importing os when needed), or
 * for a fallback of `os.getenv`, drop the fallback. Nothing when the code itself sets the
 * variable (the line is the leak) or the literal cannot be rewritten safely.
 */
export function environFix(lit: Literal, target: Target | undefined, match: { token: string; offset: number; whole: boolean }, envVar: string | undefined, scope: Scope): Fix[] {
  if (target?.kind === 'env') return [];
  if (target?.kind === 'env-default') {
    if (!target.call || !target.argument) return [];
    const edit = removeArgument(CallSite.resolve(target.call, scope), target.argument);
    return edit ? [{ title: `Drop the hard-coded fallback: read ${target.name} from the environment only`, safety: 'unsafe', edits: [edit] }] : [];
  }
  if (!envVar || !replaceable(lit)) return [];
  const lookup = `os.environ["${envVar}"]`;
  let replacement: string;
  if (match.whole) {
    replacement = lookup;
  } else {
    if (!target || !EMBEDDED_FIX_KINDS.has(target.kind) || lit.triple || lit.interpolated) return [];
    const before = lit.node.text.slice(lit.open.length, match.offset);
    const after = lit.node.text.slice(match.offset + match.token.length, lit.node.text.length - lit.close.length);
    if (/(?:^|[^\\])(?:\\\\)*\\$/.test(before)) return [];
    const parts = [before ? `${lit.open}${before}${lit.close}` : '', lookup, after ? `${lit.open}${after}${lit.close}` : ''];
    replacement = parts.filter((x) => x).join(' + ');
  }
  const imp = ensureImport(lit.node, scope, 'os');
  if (imp === undefined) return [];
  const edits: TextEdit[] = [replaceNode(lit.node, replacement)];
  if (imp) edits.unshift(imp);
  return [{ title: `Read it from the environment: ${lookup}`, safety: 'unsafe', edits }];
}

/** The second sentence of a message: what to do, depending on where the literal sits. */
export function advice(verb: 'Revoke' | 'Rotate', target: Target | undefined, envVar: string | undefined): string {
  if (target?.kind === 'env') {
    return `${verb} it, delete this line and set \`${target.name}\` outside the code (the shell, a .env file kept out of git, or a secret store such as Colab secrets).`;
  }
  if (target?.kind === 'env-default') {
    return `${verb} it and drop this fallback of the \`${target.name}\` lookup: set the variable outside the code.`;
  }
  if (!target) {
    // A command, URL or file content the code builds: the key should come from outside.
    return `${verb} it and keep it out of the code: set ${envVar ? `\`${envVar}\`` : 'it'} in the environment or a secret store and read it from there.`;
  }
  const where = envVar ? `\`os.environ["${envVar}"]\`` : 'the environment';
  return `${verb} it and read it from ${where} or a secret store instead.`;
}
