import { defineRule } from '../rule';
import { anchor, withTaint } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL105',
    name: 'joblib-load',
    title: 'Loading a model with joblib',
    family: 'deserialization',
    severity: 'high',
    ...DESERIALIZATION_LINKS,
    docs: {
      finds: 'Calls to `joblib.load` (also through `sklearn.externals.joblib`).',
      why:
        'joblib files are pickles with numpy arrays stored beside them. Loading a scikit-learn model saved ' +
        'with joblib runs any code the file carries, so a model downloaded from a hub or a shared drive can ' +
        'take over the machine that loads it.',
      example: 'import joblib\n\nclf = joblib.load("downloads/classifier.joblib")\n',
      useInstead:
        '# Export the fitted model to a format without code, e.g. ONNX, and run it with onnxruntime.\nimport onnxruntime as ort\n\nsession = ort.InferenceSession("classifier.onnx")\n',
      references: [
        { title: 'joblib: persistence and its security warning', url: 'https://joblib.readthedocs.io/en/stable/persistence.html' },
        { title: 'scikit-learn: model persistence', url: 'https://scikit-learn.org/stable/model_persistence.html' },
        REF.cwe502,
      ],
    },
  },
  triggers: ['joblib'],
  calls: ['joblib.load'],
  check(call, ctx) {
    ctx.report(
      withTaint(ctx, call.arg(0, 'filename'), {
        node: anchor(call),
        message: '`joblib.load` unpickles the file and runs any code it carries; load only models you saved yourself, or export them to ONNX or skops.',
      }),
    );
  },
});
