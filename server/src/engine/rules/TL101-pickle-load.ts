import { defineRule, member } from '../rule';
import { anchor, withTaint, isRoundTrip } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL101',
    name: 'pickle-load',
    title: 'Unpickling data with pickle',
    family: 'deserialization',
    severity: 'high',
    ...DESERIALIZATION_LINKS,
    peers: { bandit: ['B301'], ruff: ['S301'] },
    docs: {
      finds:
        'Calls to `pickle.load`, `pickle.loads` and `pickle.Unpickler` (also through `cPickle` and `_pickle`). ' +
        'An in-process copy such as `pickle.loads(pickle.dumps(obj))` reads no outside data and is not reported.',
      why:
        'A pickle is a small program for the unpickler: it can import any callable and call it with any ' +
        'arguments. Whoever controls the bytes (a model shared on a hub, a file in a bucket, a cached ' +
        'feature set) runs code with your permissions the moment it is loaded. No flag of pickle makes it safe.',
      example: 'import pickle\n\nwith open("model.pkl", "rb") as f:\n    model = pickle.load(f)\n',
      useInstead:
        'import json\nfrom safetensors.torch import load_file\n\nweights = load_file("model.safetensors")\nwith open("meta.json") as f:\n    meta = json.load(f)\n',
      references: [REF.pickle, REF.cwe502, REF.unsafeArtifacts, REF.safetensors],
    },
  },
  triggers: ['pickle', 'Unpickler'],
  calls: ['pickle.load', 'pickle.loads', 'pickle.Unpickler', 'pickle._load', 'pickle._loads', 'pickle._Unpickler'],
  check(call, ctx) {
    if (isRoundTrip(call, ['pickle.dumps'])) return;
    ctx.report(
      withTaint(ctx, call.arg(0), {
        node: anchor(call),
        message:
          `\`${member(call.qname)}\` from pickle runs whatever code the data contains; load pickles only from a ` +
          'source you control, or store models and data in a format without code (safetensors, JSON, Parquet).',
      }),
    );
  },
});
