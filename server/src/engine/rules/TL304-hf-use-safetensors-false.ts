import { removeArgument, replaceNode } from '../edits';
import { defineRule } from '../rule';
import type { Fix } from '../types';
import { truthiness, valueOf } from '../values';
import { REF } from './links';
import { anchor, argNode, withTaint } from './helpers';
import { HF_MODEL_LIBRARIES, inLibrary, isFromPretrained, loaderKeyword, modelArgument, within } from './TL301-hf-trust-remote-code';

export default defineRule({
  meta: {
    id: 'TL304',
    name: 'hf-use-safetensors-false',
    title: 'Hugging Face loader with use_safetensors=False',
    family: 'model-supply-chain',
    severity: 'medium',
    cwe: ['CWE-502'],
    // Pickled weights from a hub or a writable store run code when loaded (PoisonGPT, the exposed
    // SAS token); adapters shipped as pickled .bin files.
    threats: ['MLT-020', 'MLT-035', 'MLT-049'],
    techniques: ['AML.T0011.000', 'AML.T0010.003', 'AML.T0018.002'],
    docs: {
      finds:
        '`use_safetensors=False` passed to `from_pretrained` (transformers, diffusers, peft, sentence-transformers and ' +
        'any other class), to `pipeline` or `SentenceTransformer`, directly, through a name, a literal `**kwargs` dict or ' +
        'a `model_kwargs={...}` dict.',
      why:
        'Hub repositories often hold the same weights twice: a `.safetensors` file, which is plain tensor data, and a ' +
        'pickled `pytorch_model.bin` / `.ckpt`, which runs code when it is unpickled. `use_safetensors=False` makes the ' +
        'loader skip the safe file and unpickle the other one, so a tampered repository or cache gets code execution.',
      example:
        'from diffusers import StableDiffusionPipeline\n\n' +
        'pipe = StableDiffusionPipeline.from_pretrained("./checkpoints/sd-finetuned", use_safetensors=False)\n',
      useInstead:
        'from diffusers import StableDiffusionPipeline\n\n' +
        'pipe = StableDiffusionPipeline.from_pretrained("./checkpoints/sd-finetuned", use_safetensors=True)\n',
      references: [REF.safetensors, { title: 'Transformers: from_pretrained (use_safetensors)', url: 'https://huggingface.co/docs/transformers/en/main_classes/model' }, REF.cwe502],
    },
  },
  triggers: ['use_safetensors'],
  anyCall: true,
  check(call, ctx) {
    const arg = loaderKeyword(call, 'use_safetensors');
    if (!arg) return;
    // `None` is the default (prefer safetensors, fall back): only an explicit false value counts.
    const v = valueOf(arg.value, arg.scope);
    if (v.kind === 'none' || truthiness(v) !== false) return;
    if (!isFromPretrained(call) && !inLibrary(call.qname, HF_MODEL_LIBRARIES)) return;
    const fixes: Fix[] = [];
    if (arg.keyword && !arg.fromSplat) {
      // Without the argument the loader prefers safetensors and falls back to the other weights: the
      // same model loads for every well-formed repository.
      const edit = removeArgument(call, arg.keyword);
      if (edit) fixes.push({ title: 'Remove use_safetensors=False', safety: 'safe', edits: [edit] });
    }
    if (within(call, arg.value) && (arg.value.type === 'false' || !arg.fromSplat)) {
      // Requiring safetensors fails on repositories that only ship pickled weights.
      fixes.push({ title: 'Set use_safetensors=True', safety: 'unsafe', edits: [replaceNode(arg.value, 'True')] });
    }
    ctx.report(
      withTaint(ctx, modelArgument(call), {
        node: anchor(call, arg.keyword ? argNode(arg) : within(call, arg.value) ? arg.value : undefined),
        message:
          '`use_safetensors=False` makes the loader skip `.safetensors` weights and unpickle `.bin`/`.ckpt` files, which ' +
          'run code when loaded from a tampered repository or cache. Drop the argument or pass `use_safetensors=True`.',
        fixes,
      }),
    );
  },
});
