import { TAINT_SOURCE_WORDS } from '../taint';
import { CallSite, type Argument } from '../call';
import { calleeText, defineRule, type RuleContext } from '../rule';
import { truthiness } from '../values';
import { anchor } from './helpers';
import { methodCall, reportTainted, untrustedArg } from './untrusted-input-helpers';

/** Loaders of hub models and datasets, with the position and keyword of the repository id or URL. */
const FUNCTIONS: Record<string, readonly [number, string]> = {
  'transformers.pipeline': [1, 'model'],
  'huggingface_hub.hf_hub_download': [0, 'repo_id'],
  'huggingface_hub.snapshot_download': [0, 'repo_id'],
  'huggingface_hub.from_pretrained_keras': [0, 'pretrained_model_name_or_path'],
  'datasets.load_dataset': [0, 'path'],
  'torch.hub.load_state_dict_from_url': [0, 'url'],
  'sentence_transformers.SentenceTransformer': [0, 'model_name_or_path'],
  'sentence_transformers.CrossEncoder': [0, 'model_name'],
  'timm.create_model': [0, 'model_name'],
};

/** Keywords under which `from_pretrained`-style loaders take the repository id. */
const ID_KEYWORDS = ['pretrained_model_name_or_path', 'model_id', 'repo_id', 'model_name_or_path', 'peft_model_id'];

function report(ctx: RuleContext, call: CallSite, arg: Argument | undefined): void {
  const taint = untrustedArg(ctx, arg);
  if (!arg || !taint) return;
  const remoteCode = call.keyword('trust_remote_code');
  const runsCode = remoteCode !== undefined && truthiness(call.valueOf(remoteCode)) === true;
  reportTainted(ctx, {
    node: anchor(call, arg.value),
    taint,
    severity: runsCode ? 'critical' : undefined,
    lead: `\`${calleeText(call)}\` loads the model or dataset named by`,
    advice:
      (runsCode
        ? 'with `trust_remote_code=True` the client chooses a repository whose Python code runs here. '
        : 'the client chooses which repository\'s weights, tokenizer or loading script the server downloads and runs, ' +
          'including a poisoned one or a pickled checkpoint. ') +
      'Map the choice through a fixed dict of allowed ids (`MODELS[name]`) or check it against an allow-list first.',
  });
}

export default defineRule({
  meta: {
    id: 'TL904',
    name: 'user-chosen-model',
    title: 'Model or dataset loaded by an id the client chooses',
    family: 'untrusted-input',
    severity: 'high',
    cwe: ['CWE-494', 'CWE-829'],
    threats: ['MLT-020', 'MLT-041', 'MLT-049', 'MLT-057'],
    techniques: ['AML.T0010.003', 'AML.T0011.000', 'AML.T0049'],
    docs: {
      finds:
        '`from_pretrained`, `load_adapter`, `pipeline(model=...)`, `hf_hub_download`, `snapshot_download`, ' +
        '`load_dataset`, `torch.hub.load_state_dict_from_url`, `SentenceTransformer`, `CrossEncoder` and ' +
        '`timm.create_model` called with a ' +
        'repository id or URL that comes from a request, an upload, a UI input or the console. An id looked up in a ' +
        'fixed dict (`MODELS[name]`), checked against an allow-list, typed as a `Literal`/`Enum`, or picked from a ' +
        'gradio dropdown is not reported. With `trust_remote_code=True` the finding is critical. (`torch.hub.load`, which ' +
        'always runs the repository\'s code, is reported by TL303, critical when the repository is untrusted input.)',
      why:
        'The repository decides what the server runs: weights with a backdoor, a pickled `.bin` checkpoint, a dataset ' +
        'loading script or, with `trust_remote_code=True`, plain Python. Anyone who can publish a ' +
        'repository on the hub and call the endpoint gets code execution or a model of their choosing in production.',
      example:
        'from fastapi import FastAPI\nfrom transformers import AutoModelForSequenceClassification\n\napp = FastAPI()\n\n\n' +
        '@app.post("/load")\ndef load(model_id: str):\n    model = AutoModelForSequenceClassification.from_pretrained(model_id)\n' +
        '    return {"labels": model.config.num_labels}\n',
      useInstead:
        'from fastapi import FastAPI\nfrom transformers import AutoModelForSequenceClassification\n\napp = FastAPI()\n' +
        'MODELS = {"sentiment": "distilbert/distilbert-base-uncased-finetuned-sst-2-english"}\n\n\n' +
        '@app.post("/load")\ndef load(name: str):\n    model = AutoModelForSequenceClassification.from_pretrained(MODELS[name])\n' +
        '    return {"labels": model.config.num_labels}\n',
      references: [
        { title: 'Hugging Face: security and pickle files', url: 'https://huggingface.co/docs/hub/security-pickle' },
        { title: 'Transformers: trust_remote_code', url: 'https://huggingface.co/docs/transformers/main/en/custom_models' },
        { title: 'CWE-494: Download of Code Without Integrity Check', url: 'https://cwe.mitre.org/data/definitions/494.html' },
        { title: 'MITRE ATLAS AML.T0010.003: AI Supply Chain Compromise: Model', url: 'https://atlas.mitre.org/techniques/AML.T0010.003' },
      ],
    },
  },
  requires: TAINT_SOURCE_WORDS,
  needsTaint: 'any',
  triggers: ['from_pretrained', 'load_adapter', 'pipeline', 'huggingface_hub', 'datasets', 'torch', 'sentence_transformers', 'timm'],
  calls: Object.keys(FUNCTIONS),
  check(call, ctx) {
    const [index, keyword] = FUNCTIONS[call.qname!];
    const arg = call.arg(index, keyword) ?? (call.qname === 'sentence_transformers.CrossEncoder' ? call.arg(undefined, 'model_name_or_path') : undefined);
    report(ctx, call, arg);
  },
  nodes: ['call'],
  checkNode(node, ctx) {
    const m = methodCall(node, (name) => name === 'from_pretrained' || name === 'load_adapter');
    if (!m) return;
    const call = CallSite.resolve(node, ctx.scopeOf(node));
    // `PeftModel.from_pretrained(base_model, adapter_id)` takes the adapter second.
    const index = m[1] === 'from_pretrained' && /^peft\.PeftModel/.test(call.qname ?? '') ? 1 : 0;
    const arg = call.arg(index) ?? ID_KEYWORDS.map((k) => call.keyword(k)).find((a) => a !== undefined);
    report(ctx, call, arg);
  },
});
