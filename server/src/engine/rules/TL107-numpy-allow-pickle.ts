import { replaceNode } from '../edits';
import { defineRule } from '../rule';
import { anchor, argNode, argTruth, withTaint } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL107',
    name: 'numpy-allow-pickle',
    title: 'numpy.load with allow_pickle=True',
    family: 'deserialization',
    severity: 'high',
    ...DESERIALIZATION_LINKS,
    docs: {
      finds: '`numpy.load(..., allow_pickle=True)`, also when `True` comes from a variable or a literal `**kwargs` dict.',
      why:
        'With `allow_pickle=True`, an `.npy`/`.npz` file may hold pickled object arrays, and loading it runs ' +
        'the code inside. numpy turned the default off for this reason (CVE-2019-6446).',
      example: 'import numpy as np\n\nembeddings = np.load("embeddings.npy", allow_pickle=True)\n',
      useInstead:
        'import numpy as np\n\n# Numeric arrays need no pickle; keep object data in JSON or Parquet.\nembeddings = np.load("embeddings.npy")\n',
      references: [
        { title: 'numpy.load', url: 'https://numpy.org/doc/stable/reference/generated/numpy.load.html' },
        { title: 'CVE-2019-6446', url: 'https://nvd.nist.gov/vuln/detail/CVE-2019-6446' },
        REF.cwe502,
      ],
    },
  },
  triggers: ['allow_pickle'],
  calls: ['numpy.load'],
  check(call, ctx) {
    const arg = call.arg(2, 'allow_pickle');
    if (!arg || argTruth(call, arg) !== true) return;
    const fix =
      arg.fromSplat || arg.value.type !== 'true'
        ? []
        : [{ title: 'Set allow_pickle=False', safety: 'unsafe' as const, edits: [replaceNode(arg.value, 'False')] }];
    ctx.report(
      withTaint(ctx, call.arg(0, 'file'), {
        node: anchor(call, argNode(arg)),
        message: '`allow_pickle=True` lets this .npy/.npz file run code when it is loaded; numeric arrays load without it.',
        fixes: fix,
      }),
    );
  },
});
