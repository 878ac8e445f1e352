import { defineRule } from '../rule';
import { anchor, withTaint, isRoundTrip } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL102',
    name: 'pickle-compatible-load',
    title: 'Deserializing with dill, cloudpickle or jsonpickle',
    family: 'deserialization',
    severity: 'high',
    ...DESERIALIZATION_LINKS,
    peers: { bandit: ['B301'] },
    docs: {
      finds: 'Calls to `dill.load`/`loads`/`Unpickler`, `cloudpickle.load`/`loads` and `jsonpickle.decode`.',
      why:
        'dill and cloudpickle extend pickle so that they can rebuild functions and whole objects, and ' +
        'jsonpickle rebuilds any Python class named in its JSON. All three run attacker-chosen code while ' +
        'loading, exactly like pickle.',
      example: 'import cloudpickle\n\nwith open("preprocess.pkl", "rb") as f:\n    preprocess = cloudpickle.load(f)\n',
      useInstead:
        'import json\n\n# Save the parameters, not the function, and rebuild the object in code.\nwith open("preprocess.json") as f:\n    params = json.load(f)\n',
      references: [REF.pickle, REF.cwe502, REF.unsafeArtifacts],
    },
  },
  triggers: ['dill', 'cloudpickle', 'jsonpickle'],
  calls: [
    'dill.load',
    'dill.loads',
    'dill.Unpickler',
    'cloudpickle.load',
    'cloudpickle.loads',
    'jsonpickle.decode',
    'jsonpickle.loads',
  ],
  check(call, ctx) {
    const lib = call.qname!.split('.')[0];
    if (isRoundTrip(call, [`${lib}.dumps`, `${lib}.encode`])) return;
    ctx.report(
      withTaint(ctx, call.arg(0), {
        node: anchor(call),
        message: `\`${call.qname}\` rebuilds arbitrary Python objects and runs code from the data, like pickle; only load ${lib} data you produced yourself.`,
      }),
    );
  },
});
