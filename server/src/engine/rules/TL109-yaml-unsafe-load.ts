import type { CallSite } from '../call';
import { addArgument, replaceNode } from '../edits';
import type { Node } from '../parser';
import { defineRule, member } from '../rule';
import type { Scope } from '../scope';
import type { Fix, Severity } from '../types';
import { valueOf, type Value } from '../values';
import { anchor, argNode, withTaint } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

const SAFE_LOADERS = new Set(['yaml.SafeLoader', 'yaml.CSafeLoader', 'yaml.BaseLoader', 'yaml.CBaseLoader']);
const UNSAFE_LOADERS: Record<string, Severity> = {
  'yaml.Loader': 'high',
  'yaml.UnsafeLoader': 'high',
  'yaml.CLoader': 'high',
  'yaml.CUnsafeLoader': 'high',
  'yaml.FullLoader': 'medium',
  'yaml.CFullLoader': 'medium',
};

type Verdict = { safe: true } | { safe: false; severity: Severity; name: string } | undefined;

/** Classifies a Loader value; a class of this file is judged by its bases. */
function classify(v: Value, depth = 0): Verdict {
  if (v.kind === 'ref') {
    if (SAFE_LOADERS.has(v.qname)) return { safe: true };
    const severity = UNSAFE_LOADERS[v.qname];
    return severity ? { safe: false, severity, name: member(v.qname) } : undefined;
  }
  if (v.kind === 'class' && depth < 8) return classifyClass(v.node, v.scope, depth);
  return undefined;
}

function classifyClass(node: Node, scope: Scope, depth: number): Verdict {
  const bases = node.childForFieldName('superclasses');
  let verdict: Verdict;
  for (const base of bases?.namedChildren ?? []) {
    if (!base || base.type === 'keyword_argument') continue;
    const v = classify(valueOf(base, scope), depth + 1);
    if (v && !v.safe) return v; // an unsafe base wins (its constructors are inherited)
    if (v?.safe) verdict = v;
  }
  return verdict;
}

/** Text for `<module>.SafeLoader` when the callee is written as `<module>.load`. */
function modulePrefix(call: CallSite): string | undefined {
  const callee = call.callee;
  if (callee.type !== 'attribute') return undefined;
  return callee.childForFieldName('object')?.text;
}

/** Fix that renames `yaml.<fn>` to `yaml.<replacement>` when the callee is an attribute. */
function renameFix(call: CallSite, replacement: string): Fix[] {
  const attr = call.callee.type === 'attribute' ? call.callee.childForFieldName('attribute') : null;
  if (!attr) return [];
  return [{ title: `Use ${modulePrefix(call)}.${replacement}`, safety: 'safe', edits: [replaceNode(attr, replacement)] }];
}

export default defineRule({
  meta: {
    id: 'TL109',
    name: 'yaml-unsafe-load',
    title: 'Loading YAML with an unsafe loader',
    family: 'deserialization',
    severity: 'high',
    cwe: ['CWE-502', 'CWE-20'],
    threats: DESERIALIZATION_LINKS.threats,
    techniques: DESERIALIZATION_LINKS.techniques,
    peers: { bandit: ['B506'], ruff: ['S506'] },
    docs: {
      finds:
        '`yaml.load`/`yaml.load_all` with no `Loader` or an unsafe one (`Loader`, `UnsafeLoader`, `CLoader`, ' +
        '`FullLoader`), and `yaml.unsafe_load`, `yaml.full_load` and their `_all` forms. `SafeLoader`, ' +
        '`CSafeLoader`, `BaseLoader` and classes of the same file derived from them are safe.',
      why:
        'PyYAML\'s full loaders understand tags such as `!!python/object/apply`, which call any Python ' +
        'function while the document is read. A training config, a model card or a dataset manifest from ' +
        'someone else then runs code on your machine. `FullLoader` blocks the best-known tags but had ' +
        'bypasses (CVE-2020-14343) and still builds arbitrary Python objects.',
      example: 'import yaml\n\nwith open("config.yaml") as f:\n    cfg = yaml.load(f, Loader=yaml.FullLoader)\n',
      useInstead: 'import yaml\n\nwith open("config.yaml") as f:\n    cfg = yaml.safe_load(f)\n',
      references: [
        { title: 'PyYAML: yaml.load(input) deprecation', url: 'https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation' },
        { title: 'CVE-2020-14343', url: 'https://nvd.nist.gov/vuln/detail/CVE-2020-14343' },
        REF.cwe502,
      ],
    },
  },
  triggers: ['yaml'],
  calls: [
    'yaml.load',
    'yaml.load_all',
    'yaml.unsafe_load',
    'yaml.unsafe_load_all',
    'yaml.full_load',
    'yaml.full_load_all',
  ],
  check(call, ctx) {
    const fn = member(call.qname);
    const all = fn.endsWith('_all');
    const safeName = all ? 'safe_load_all' : 'safe_load';
    if (fn.startsWith('unsafe_load') || fn.startsWith('full_load')) {
      const unsafe = fn.startsWith('unsafe');
      ctx.report(
        withTaint(ctx, call.arg(0, 'stream'), {
          node: anchor(call),
          severity: unsafe ? 'high' : 'medium',
          message: unsafe
            ? `\`yaml.${fn}\` runs Python code embedded in the document through \`!!python\` tags; use \`yaml.${safeName}\`.`
            : `\`yaml.${fn}\` builds arbitrary Python objects and has had code-execution bypasses; use \`yaml.${safeName}\`.`,
          fixes: renameFix(call, safeName),
        }),
      );
      return;
    }
    const loader = call.arg(1, 'Loader');
    if (!loader) {
      if (call.mayHide(1, 'Loader')) return;
      const fixes = renameFix(call, safeName);
      const prefix = modulePrefix(call);
      if (prefix) {
        const edit = addArgument(call, `Loader=${prefix}.SafeLoader`, ctx.text);
        if (edit) fixes.push({ title: `Pass Loader=${prefix}.SafeLoader`, safety: 'safe', edits: [edit] });
      }
      ctx.report(
        withTaint(ctx, call.arg(0, 'stream'), {
          node: anchor(call),
          message: `\`yaml.${fn}\` without a safe Loader can run code from \`!!python\` tags in the document; use \`yaml.${safeName}\` or \`Loader=yaml.SafeLoader\`.`,
          fixes,
        }),
      );
      return;
    }
    const verdict = classify(call.valueOf(loader));
    if (!verdict || verdict.safe) return;
    const fixes: Fix[] = [];
    const v = loader.value;
    if (!loader.fromSplat && v.type === 'attribute') {
      const attr = v.childForFieldName('attribute');
      if (attr) fixes.push({ title: `Use ${v.childForFieldName('object')?.text}.SafeLoader`, safety: 'safe', edits: [replaceNode(attr, 'SafeLoader')] });
    }
    ctx.report(
      withTaint(ctx, call.arg(0, 'stream'), {
        node: anchor(call, argNode(loader)),
        severity: verdict.severity,
        message:
          verdict.severity === 'high'
            ? `\`Loader=${verdict.name}\` lets the YAML document run Python code through \`!!python\` tags; use \`SafeLoader\` (or \`yaml.${safeName}\`).`
            : `\`${verdict.name}\` builds arbitrary Python objects and has had code-execution bypasses; use \`SafeLoader\` (or \`yaml.${safeName}\`).`,
        fixes,
      }),
    );
  },
});
