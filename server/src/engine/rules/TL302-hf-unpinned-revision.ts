import type { Argument, CallSite } from '../call';
import { defineRule, member } from '../rule';
import type { Severity } from '../types';
import { truthiness } from '../values';
import { anchor, argNode } from './helpers';
import { HF_DOCS, isHfFromPretrained, isHfPipeline, modelArgument } from './TL301-hf-trust-remote-code';

/** A full git commit id: the only revision a repository owner cannot move. */
export const COMMIT = /^[0-9a-f]{40}$/i;

/** `datasets` builders that read local or given files instead of a hub repository. */
const PACKAGED_BUILDERS = new Set([
  'csv', 'json', 'parquet', 'text', 'arrow', 'pandas', 'sql', 'generator', 'xml', 'webdataset',
  'imagefolder', 'audiofolder', 'videofolder', 'pdffolder', 'niftifolder', 'spark', 'cache',
]);

/** First path segments that name a local folder in ML projects, not a hub user or organisation. */
const LOCAL_ROOTS = new Set([
  'output', 'outputs', 'out', 'checkpoint', 'checkpoints', 'ckpt', 'ckpts', 'model', 'models', 'saved_model',
  'saved_models', 'runs', 'results', 'artifacts', 'weights', 'export', 'exports', 'tmp', 'temp', 'cache', 'data',
  'local', 'trained', 'finetuned', 'fine_tuned', 'experiments', 'logs', 'save', 'saves', 'build', 'dist', 'assets',
  'resources', 'pretrained', 'lora', 'adapters', 'merged',
]);

/** Last segments that name a training output folder (`runs/checkpoint-500`, `outputs/best`). */
const LOCAL_LEAF = /^(checkpoint([-_]?\d+)?|final|best|latest|last|best_model|final_model)$/i;

/** A file name rather than a repository (`model.bin`, `org/config.json`). */
const FILE_SUFFIX = /\.(pt|pth|bin|ckpt|safetensors|json|jsonl|ya?ml|h5|onnx|gguf|pkl|msgpack|model|txt|npz|npy|tar|gz|zip|csv|tsv|parquet|arrow|py)$/i;

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

/**
 * Whether a constant passed as a model or dataset id names a hub repository. Local paths (`/`, `./`,
 * `~`, backslashes, several segments, file names, output folders such as `outputs/best`) do not.
 * Single names are hub ids when they look like the legacy canonical models (`gpt2`,
 * `bert-base-uncased`: a digit or a hyphen, no underscore); datasets accept any single name that
 * is not a packaged builder (`imdb`, `squad`).
 */
export function isHubId(id: string, dataset = false): boolean {
  if (!REPO_ID.test(id) || FILE_SUFFIX.test(id) || id.includes('..')) return false;
  const parts = id.split('/');
  if (parts.length === 2) return !LOCAL_ROOTS.has(parts[0].toLowerCase()) && !LOCAL_LEAF.test(parts[1]);
  const name = parts[0];
  if (LOCAL_ROOTS.has(name.toLowerCase()) || LOCAL_LEAF.test(name)) return false;
  if (dataset) return !PACKAGED_BUILDERS.has(name.toLowerCase());
  return /[-\d]/.test(name) && !name.includes('_');
}

interface Target {
  /** What is fetched, for the message. */
  what: string;
  repo: Argument;
  severity: Severity;
  dataset: boolean;
  /** The argument can only be a repository id (no local-path form). */
  repoOnly?: boolean;
}

const HUB_DOWNLOADS: Record<string, string> = {
  'huggingface_hub.hf_hub_download': 'file',
  'huggingface_hub.file_download.hf_hub_download': 'file',
  'huggingface_hub.snapshot_download': 'repository snapshot',
  'huggingface_hub._snapshot_download.snapshot_download': 'repository snapshot',
};

const ENCODERS = new Set([
  'sentence_transformers.SentenceTransformer',
  'sentence_transformers.CrossEncoder',
  'sentence_transformers.cross_encoder.CrossEncoder',
  'sentence_transformers.SparseEncoder',
]);

function target(call: CallSite): Target | undefined {
  const q = call.qname;
  if (isHfFromPretrained(call)) {
    const repo = modelArgument(call);
    return repo && { what: 'model files', repo, severity: 'medium', dataset: false };
  }
  if (isHfPipeline(q)) {
    const repo = call.arg(1, 'model');
    return repo && { what: 'model', repo, severity: 'medium', dataset: false };
  }
  if (q && ENCODERS.has(q)) {
    const repo = call.arg(0, 'model_name_or_path') ?? call.keyword('model_name');
    return repo && { what: 'model', repo, severity: 'medium', dataset: false };
  }
  if (q === 'datasets.load_dataset') {
    const repo = call.arg(0, 'path');
    return repo && { what: 'dataset', repo, severity: 'low', dataset: true };
  }
  if (q && HUB_DOWNLOADS[q]) {
    const repo = call.arg(0, 'repo_id');
    return repo && { what: HUB_DOWNLOADS[q], repo, severity: 'medium', dataset: false, repoOnly: true };
  }
  return undefined;
}

function shortText(call: CallSite): string {
  const callee = call.callee.text.replace(/\s+/g, '');
  return member(callee) === callee ? callee : callee.split('.').slice(-2).join('.');
}

export default defineRule({
  meta: {
    id: 'TL302',
    name: 'hf-unpinned-revision',
    title: 'Hugging Face Hub download without a pinned commit',
    family: 'model-supply-chain',
    severity: 'medium',
    cwe: ['CWE-494'],
    // Tampered or look-alike hub models (PoisonGPT), backdoored pretrained models and adapters,
    // and datasets whose content changes between downloads.
    threats: ['MLT-020', 'MLT-041', 'MLT-049', 'MLT-026', 'MLT-046'],
    techniques: ['AML.T0010.003', 'AML.T0058', 'AML.T0010.002', 'AML.T0019'],
    peers: { bandit: ['B615'] },
    docs: {
      finds:
        '`from_pretrained` of transformers, diffusers, peft, sentence-transformers and optimum classes, `pipeline(model=...)`, ' +
        '`SentenceTransformer`/`CrossEncoder`, `hf_hub_download`, `snapshot_download` and `datasets.load_dataset` called with a ' +
        'constant hub repository id and no `revision=` holding a full 40-character commit hash (a branch or tag such as ' +
        '`"main"` or `"v1.0"` does not pin). Local paths, `local_files_only=True` and ids that are not constants are left ' +
        'alone. Datasets are reported with low severity.',
      why:
        'A hub repository id is a moving name: every call fetches whatever its default branch holds today. If the owner\'s ' +
        'account is taken over, a maintainer pushes a bad commit, or the repository is deleted and its name registered ' +
        'again, the next run silently loads different weights, tokenizer files or data. A commit hash names exactly the ' +
        'files you reviewed and tested, and the download fails instead of changing.',
      example: 'from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained("bert-base-uncased")\n',
      useInstead:
        'from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained("bert-base-uncased", revision="86b5e0934494bd15c9632b12f734a8a67f723594")\n',
      references: [HF_DOCS.revision, HF_DOCS.cwe494],
    },
  },
  triggers: ['from_pretrained', 'pipeline', 'hf_hub_download', 'snapshot_download', 'load_dataset', 'SentenceTransformer', 'CrossEncoder', 'SparseEncoder'],
  anyCall: true,
  check(call, ctx) {
    const t = target(call);
    if (!t) return;
    const id = call.valueOf(t.repo);
    if (id.kind !== 'string' || !(t.repoOnly ? REPO_ID.test(id.value) : isHubId(id.value, t.dataset))) return;
    if (call.qname === 'datasets.load_dataset' && PACKAGED_BUILDERS.has(id.value.toLowerCase())) return;
    const offline = call.keyword('local_files_only');
    if (offline && truthiness(call.valueOf(offline)) === true) return;
    const revision = call.keyword('revision');
    const shown = shortText(call);
    if (!revision) {
      if (call.mayHide(undefined, 'revision')) return;
      ctx.report({
        node: anchor(call),
        severity: t.severity,
        message:
          `\`${shown}\` fetches \`${id.value}\` from whatever its default branch holds today, so a pushed or takeover ` +
          `commit changes the ${t.what} without notice. Pin \`revision=\` to the full 40-character commit hash you reviewed.`,
      });
      return;
    }
    const rev = call.valueOf(revision);
    if (rev.kind === 'string' && COMMIT.test(rev.value)) return;
    if (rev.kind !== 'string' && rev.kind !== 'none') return; // computed revision: cannot tell
    ctx.report({
      node: anchor(call, argNode(revision)),
      severity: t.severity,
      message:
        rev.kind === 'none'
          ? `\`revision=None\` makes \`${shown}\` fetch \`${id.value}\` from the default branch; pin the full 40-character commit hash.`
          : `\`revision="${rev.value}"\` names a branch or tag, which the repository owner (or whoever controls the account) ` +
            'can move; pin the full 40-character commit hash instead.',
    });
  },
});
