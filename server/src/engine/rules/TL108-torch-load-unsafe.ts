import { addArgument, replaceNode } from '../edits';
import { defineRule } from '../rule';
import { anchor, argNode, argTruth, withTaint } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL108',
    name: 'torch-load-without-weights-only',
    title: 'torch.load without weights_only=True',
    family: 'deserialization',
    severity: 'medium',
    ...DESERIALIZATION_LINKS,
    peers: { bandit: ['B614'], ruff: ['S614'] },
    docs: {
      finds:
        '`torch.load` and `torch.serialization.load` called without `weights_only=True`, or with ' +
        '`weights_only=False`. An explicit `False` is reported as high severity.',
      why:
        'A PyTorch checkpoint is a zip of tensors plus a pickle. Without `weights_only=True` the pickle may ' +
        'import and call anything, so a checkpoint from a hub, a paper\'s release page or a shared drive runs ' +
        'code on load. PyTorch 2.6 made `True` the default, but code that omits it is unsafe on every older ' +
        'version it still runs on, and `False` switches the protection off everywhere.',
      example: 'import torch\n\nstate = torch.load("checkpoint.pt", map_location="cpu")\n',
      useInstead: 'import torch\n\nstate = torch.load("checkpoint.pt", map_location="cpu", weights_only=True)\n',
      references: [
        { title: 'PyTorch: torch.load', url: 'https://pytorch.org/docs/stable/generated/torch.load.html' },
        { title: 'CVE-2025-32434 (weights_only bypass before 2.6)', url: 'https://nvd.nist.gov/vuln/detail/CVE-2025-32434' },
        REF.safetensors,
        REF.cwe502,
      ],
    },
  },
  triggers: ['torch'],
  calls: ['torch.load'],
  check(call, ctx) {
    const arg = call.arg(undefined, 'weights_only');
    if (!arg) {
      if (call.mayHide(undefined, 'weights_only')) return;
      const edit = addArgument(call, 'weights_only=True', ctx.text);
      ctx.report(
        withTaint(ctx, call.arg(0, 'f'), {
          node: anchor(call),
          message:
            '`torch.load` without `weights_only=True` unpickles arbitrary objects on PyTorch < 2.6, so a tampered ' +
            'checkpoint runs code; pass `weights_only=True` (or load safetensors).',
          fixes: edit ? [{ title: 'Add weights_only=True', safety: 'safe', edits: [edit] }] : [],
        }),
      );
      return;
    }
    if (argTruth(call, arg) !== false) return;
    const canEdit = !arg.fromSplat && arg.value.type === 'false';
    ctx.report(
      withTaint(ctx, call.arg(0, 'f'), {
        node: anchor(call, argNode(arg)),
        severity: 'high',
        message:
          '`weights_only=False` makes `torch.load` unpickle arbitrary objects: a tampered checkpoint runs code ' +
          'on load. Use `weights_only=True` and allow-list extra classes with `torch.serialization.add_safe_globals`.',
        fixes: canEdit ? [{ title: 'Set weights_only=True', safety: 'safe', edits: [replaceNode(arg.value, 'True')] }] : [],
      }),
    );
  },
});
