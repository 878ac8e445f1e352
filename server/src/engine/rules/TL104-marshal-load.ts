import { defineRule, member } from '../rule';
import { anchor, withTaint, isRoundTrip } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL104',
    name: 'marshal-load',
    title: 'Reading data with marshal',
    family: 'deserialization',
    severity: 'medium',
    ...DESERIALIZATION_LINKS,
    peers: { bandit: ['B302'], ruff: ['S302'] },
    docs: {
      finds: 'Calls to `marshal.load` and `marshal.loads`.',
      why:
        'marshal is the format of Python bytecode. It can rebuild code objects, which a caller may then ' +
        'execute, and malformed input can crash the interpreter. The Python docs say it is not secure against ' +
        'erroneous or malicious data.',
      example: 'import marshal\n\nfn_code = marshal.loads(blob)\n',
      useInstead: 'import json\n\nconfig = json.loads(blob)\n',
      references: [{ title: 'Python docs: marshal', url: 'https://docs.python.org/3/library/marshal.html' }, REF.cwe502],
    },
  },
  triggers: ['marshal'],
  calls: ['marshal.load', 'marshal.loads'],
  check(call, ctx) {
    if (isRoundTrip(call, ['marshal.dumps'])) return;
    ctx.report(
      withTaint(ctx, call.arg(0), {
        node: anchor(call),
        message: `\`marshal.${member(call.qname)}\` is not safe for untrusted data (it rebuilds code objects and can crash the interpreter); use JSON or another data-only format.`,
      }),
    );
  },
});
