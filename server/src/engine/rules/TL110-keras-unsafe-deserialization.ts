import { removeArgument } from '../edits';
import { defineRule } from '../rule';
import { anchor, argNode, argTruth, withTaint } from './helpers';
import { DESERIALIZATION_LINKS } from './links';

const KERAS_DOCS = { title: 'Keras: saving and loading models (safe_mode)', url: 'https://keras.io/api/models/model_saving_apis/model_saving_and_loading/' };

export default defineRule({
  meta: {
    id: 'TL110',
    name: 'keras-unsafe-deserialization',
    title: 'Keras model loading with safe mode turned off',
    family: 'deserialization',
    severity: 'high',
    ...DESERIALIZATION_LINKS,
    docs: {
      finds:
        '`load_model(..., safe_mode=False)` from `keras`, `keras.models`, `keras.saving` or `tf.keras`, and ' +
        '`keras.config.enable_unsafe_deserialization()`.',
      why:
        'Keras model files can contain `Lambda` layers whose Python bytecode is stored in the file. Safe mode ' +
        'refuses to rebuild them; turning it off lets a downloaded `.keras` file run its own code when loaded ' +
        '(see CVE-2024-3660 for what happens when the check is bypassed).',
      example: 'import keras\n\nmodel = keras.models.load_model("downloaded.keras", safe_mode=False)\n',
      useInstead:
        'import keras\n\n# Register the custom layers you trust instead of deserializing code.\nmodel = keras.models.load_model("downloaded.keras", custom_objects={"Scale": Scale})\n',
      references: [KERAS_DOCS, { title: 'CVE-2024-3660', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-3660' }],
    },
  },
  triggers: ['safe_mode', 'enable_unsafe_deserialization'],
  calls: [
    'keras.models.load_model',
    'keras.saving.load_model',
    'keras.load_model',
    'keras.config.enable_unsafe_deserialization',
    'keras.src.saving.serialization_lib.enable_unsafe_deserialization',
  ],
  check(call, ctx) {
    if (call.qname!.endsWith('enable_unsafe_deserialization')) {
      ctx.report(
        withTaint(ctx, call.arg(0, 'filepath'), {
          node: anchor(call),
          message: '`enable_unsafe_deserialization()` turns off Keras safe mode for every later load: any model file loaded afterwards can run its own code.',
        }),
      );
      return;
    }
    const arg = call.arg(3, 'safe_mode');
    if (!arg || argTruth(call, arg) !== false) return;
    const edit = arg.keyword && !arg.fromSplat ? removeArgument(call, arg.keyword) : undefined;
    ctx.report(
      withTaint(ctx, call.arg(0, 'filepath'), {
        node: anchor(call, argNode(arg)),
        message: '`safe_mode=False` lets this Keras model file run the Python code stored in its Lambda layers when it is loaded.',
        fixes: edit ? [{ title: 'Remove safe_mode=False', safety: 'unsafe', edits: [edit] }] : [],
      }),
    );
  },
});
