import type { Argument, CallSite } from '../call';
import { replaceNode } from '../edits';
import type { Node } from '../parser';
import { defineRule, member } from '../rule';
import type { Scope } from '../scope';
import { truthiness, valueOf } from '../values';
import { anchor, argNode } from './helpers';

/** Libraries whose `from_pretrained` fetches models, tokenizers or adapters from the Hugging Face Hub. */
export const HF_MODEL_LIBRARIES = ['transformers', 'peft', 'sentence_transformers', 'diffusers', 'optimum', 'setfit'];

/** Libraries where a `trust_remote_code` keyword means "import and run Python files from the repository". */
const REMOTE_CODE_LIBRARIES = [...HF_MODEL_LIBRARIES, 'datasets', 'vllm'];

/** Dicts of keyword arguments that such loaders forward to `from_pretrained`. */
const FORWARDED_KWARGS = ['model_kwargs', 'tokenizer_kwargs', 'config_kwargs', 'processor_kwargs'];

export const HF_DOCS = {
  remoteCode: { title: 'Hugging Face: models with custom code (trust_remote_code)', url: 'https://huggingface.co/docs/transformers/en/custom_models' },
  revision: { title: 'Hugging Face Hub: download files, pinning a revision', url: 'https://huggingface.co/docs/huggingface_hub/en/guides/download' },
  security: { title: 'Hugging Face Hub security', url: 'https://huggingface.co/docs/hub/en/security' },
  cwe494: { title: 'CWE-494: Download of Code Without Integrity Check', url: 'https://cwe.mitre.org/data/definitions/494.html' },
  cwe829: { title: 'CWE-829: Inclusion of Functionality from Untrusted Control Sphere', url: 'https://cwe.mitre.org/data/definitions/829.html' },
};

export function inLibrary(qname: string | undefined, libs: readonly string[]): boolean {
  return !!qname && libs.some((l) => qname === l || qname.startsWith(l + '.'));
}

/** True when a class of this file derives (directly or not) from a class of one of `libs`. */
function classDerivesFrom(cls: Node, scope: Scope, libs: readonly string[], depth = 0): boolean {
  if (depth > 6) return false;
  for (const base of cls.childForFieldName('superclasses')?.namedChildren ?? []) {
    if (!base || base.type === 'keyword_argument') continue;
    const v = valueOf(base, scope);
    if (v.kind === 'ref' && inLibrary(v.qname, libs)) return true;
    if (v.kind === 'class' && classDerivesFrom(v.node, v.scope, libs, depth + 1)) return true;
  }
  return false;
}

/** The object of an attribute callee (`AutoModel` in `AutoModel.from_pretrained`). */
function calleeObject(call: CallSite): Node | undefined {
  return call.callee.type === 'attribute' ? (call.callee.childForFieldName('object') ?? undefined) : undefined;
}

export function isFromPretrained(call: CallSite): boolean {
  return call.callee.type === 'attribute' && call.callee.childForFieldName('attribute')?.text === 'from_pretrained';
}

/**
 * `X.from_pretrained(...)` where `X` is a class of a Hugging Face model library, imported or
 * bound by name, or a class of this file derived from one.
 */
export function isHfFromPretrained(call: CallSite): boolean {
  if (!isFromPretrained(call)) return false;
  if (inLibrary(call.qname, HF_MODEL_LIBRARIES)) return true;
  const object = calleeObject(call);
  if (!object) return false;
  const v = valueOf(object, call.scope);
  return v.kind === 'class' && classDerivesFrom(v.node, v.scope, HF_MODEL_LIBRARIES);
}

const PIPELINES = new Set(['transformers.pipeline', 'transformers.pipelines.pipeline']);

export function isHfPipeline(qname: string | undefined): boolean {
  return !!qname && PIPELINES.has(qname);
}

/** The argument naming the model or repository a Hugging Face loader fetches. */
export function modelArgument(call: CallSite): Argument | undefined {
  if (isFromPretrained(call)) {
    // PeftModel.from_pretrained(base_model, adapter_id): the adapter comes second.
    if (call.qname?.startsWith('peft.PeftModel')) return call.arg(1, 'model_id');
    return call.arg(0, 'pretrained_model_name_or_path');
  }
  if (isHfPipeline(call.qname)) return call.arg(1, 'model');
  if (call.qname === 'datasets.load_dataset') return call.arg(0, 'path');
  if (member(call.qname) === 'LLM' || member(call.qname) === 'EngineArgs') return call.arg(0, 'model');
  return call.arg(0, 'model_name_or_path') ?? call.keyword('model_name') ?? call.keyword('model');
}

/** A keyword passed directly, through a literal `**dict`, or inside a forwarded `model_kwargs={...}` dict. */
export function loaderKeyword(call: CallSite, name: string): Argument | undefined {
  const direct = call.keyword(name);
  if (direct) return direct;
  for (const container of FORWARDED_KWARGS) {
    const holder = call.keyword(container);
    if (!holder) continue;
    const v = call.valueOf(holder);
    const entry = v.kind === 'dict' ? v.entries.get(name) : undefined;
    if (entry) return { value: entry.node, scope: entry.scope, fromSplat: true };
  }
  return undefined;
}

/** True when `node` lies inside the call's own text (an edit there stays on the flagged call). */
export function within(call: CallSite, node: Node): boolean {
  return node.startIndex >= call.node.startIndex && node.endIndex <= call.node.endIndex;
}

function isRemoteCodeLoader(call: CallSite): boolean {
  return isFromPretrained(call) || inLibrary(call.qname, REMOTE_CODE_LIBRARIES);
}

export default defineRule({
  meta: {
    id: 'TL301',
    name: 'hf-trust-remote-code',
    title: 'Hugging Face loader with trust_remote_code=True',
    family: 'model-supply-chain',
    severity: 'high',
    cwe: ['CWE-829', 'CWE-94'],
    // A hub repository's Python files run on load: a poisoned or look-alike model (PoisonGPT),
    // someone else's code executing with your accounts (Colab), a stranger's package under a plausible name.
    threats: ['MLT-020', 'MLT-019', 'MLT-023'],
    techniques: ['AML.T0010.003', 'AML.T0010.001', 'AML.T0011.000'],
    docs: {
      finds:
        'Any call passing `trust_remote_code=True` (also through a name, a literal `**kwargs` dict or a ' +
        '`model_kwargs={...}` dict) to a Hugging Face loader: `from_pretrained` of any class, `pipeline`, ' +
        '`AutoConfig`/`AutoTokenizer`, `datasets.load_dataset`, `SentenceTransformer`, vLLM\'s `LLM`.',
      why:
        'With `trust_remote_code=True` the loader downloads the `.py` files named in the repository\'s config ' +
        '(modeling, tokenizer or dataset scripts) and imports them. Whoever controls that repository, including ' +
        'someone who took over the account or registered a look-alike name, runs code in your process with your ' +
        'credentials, and a new commit changes that code without any change on your side.',
      example:
        'from transformers import AutoModelForCausalLM\n\nmodel = AutoModelForCausalLM.from_pretrained("acme/chat-7b", trust_remote_code=True)\n',
      useInstead:
        'from transformers import AutoModelForCausalLM\n\n# Architectures built into transformers need no remote code; pin the reviewed commit.\n' +
        'model = AutoModelForCausalLM.from_pretrained("acme/chat-7b", revision="4c9d0e1f2a3b4c5d6e7f80910a1b2c3d4e5f6a7b")\n',
      references: [HF_DOCS.remoteCode, HF_DOCS.security, HF_DOCS.cwe829],
    },
  },
  triggers: ['trust_remote_code'],
  anyCall: true,
  check(call, ctx) {
    const arg = loaderKeyword(call, 'trust_remote_code');
    if (!arg || truthiness(valueOf(arg.value, arg.scope)) !== true) return;
    if (!isRemoteCodeLoader(call)) return;
    const editable = within(call, arg.value) && (arg.value.type === 'true' || !arg.fromSplat);
    // A repository id from untrusted input is TL904's finding (critical with trust_remote_code): no second one here.
    ctx.report({
      node: anchor(call, arg.keyword ? argNode(arg) : within(call, arg.value) ? arg.value : undefined),
      message:
        '`trust_remote_code=True` imports and runs Python files from the model or dataset repository: whoever ' +
        'controls that repository runs code here. Prefer an architecture built into the library, or review the ' +
        'code and pin `revision=` to that commit.',
      fixes: editable ? [{ title: 'Set trust_remote_code=False', safety: 'unsafe', edits: [replaceNode(arg.value, 'False')] }] : [],
    });
  },
});
