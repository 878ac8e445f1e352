/**
 * Knowledge about Python modules that the rules care about: the canonical name of re-exported
 * or renamed APIs, and what `from module import *` brings in for the modules we know.
 */

/**
 * Prefix rewrites to the canonical qualified name. The longest matching prefix wins. A rule
 * names only canonical names (`pickle.load`, `keras.models.load_model`, `torch.load`).
 */
const PREFIX_ALIASES: Record<string, string> = {
  cPickle: 'pickle',
  _pickle: 'pickle',
  pickle5: 'pickle',
  'six.moves.cPickle': 'pickle',
  'dill._dill': 'dill',
  'cloudpickle.cloudpickle': 'cloudpickle',
  'jsonpickle.unpickler': 'jsonpickle',
  'sklearn.externals.joblib': 'joblib',
  'tensorflow.keras': 'keras',
  'tensorflow.python.keras': 'keras',
  tf_keras: 'keras',
  'keras.src.saving.saving_api': 'keras.saving',
  'keras.src.saving': 'keras.saving',
  'keras.src.models': 'keras.models',
  'torch.serialization': 'torch',
  'pandas.io.pickle': 'pandas',
  'numpy.lib.npyio': 'numpy',
  'yaml.loader': 'yaml',
  'yaml.cyaml': 'yaml',
  'importlib.__import__': 'builtins.__import__',
};

const SORTED_PREFIXES = Object.keys(PREFIX_ALIASES).sort((a, b) => b.length - a.length);

/** Rewrites a dotted name to its canonical form (`cPickle.loads` → `pickle.loads`). */
export function canonicalName(qname: string): string {
  for (const prefix of SORTED_PREFIXES) {
    if (qname === prefix || qname.startsWith(prefix + '.')) {
      return PREFIX_ALIASES[prefix] + qname.slice(prefix.length);
    }
  }
  return qname;
}

/** Public names that `from <module> import *` binds, for the modules rules look at. */
const WILDCARD_EXPORTS: Record<string, readonly string[]> = {
  pickle: ['load', 'loads', 'dump', 'dumps', 'Pickler', 'Unpickler', 'PickleError', 'UnpicklingError'],
  dill: ['load', 'loads', 'dump', 'dumps', 'Pickler', 'Unpickler'],
  cloudpickle: ['load', 'loads', 'dump', 'dumps', 'Pickler'],
  marshal: ['load', 'loads', 'dump', 'dumps'],
  shelve: ['open', 'Shelf', 'DbfilenameShelf'],
  joblib: ['load', 'dump', 'Parallel', 'delayed', 'Memory'],
  yaml: [
    'load',
    'load_all',
    'safe_load',
    'safe_load_all',
    'full_load',
    'full_load_all',
    'unsafe_load',
    'unsafe_load_all',
    'dump',
    'safe_dump',
    'Loader',
    'SafeLoader',
    'FullLoader',
    'UnsafeLoader',
    'BaseLoader',
    'CLoader',
    'CSafeLoader',
    'CFullLoader',
    'CUnsafeLoader',
    'CBaseLoader',
  ],
  os: ['system', 'popen', 'path', 'environ', 'getenv'],
  subprocess: ['run', 'call', 'check_call', 'check_output', 'Popen', 'getoutput', 'getstatusoutput', 'PIPE'],
  importlib: ['import_module'],
  'keras.models': ['load_model'],
  'keras.saving': ['load_model'],
};

export function wildcardExports(module: string): readonly string[] {
  return WILDCARD_EXPORTS[canonicalName(module)] ?? [];
}

/** Builtins whose name may be shadowed; an unbound use of one resolves to `builtins.<name>`. */
export const BUILTINS = new Set([
  'eval',
  'exec',
  'compile',
  '__import__',
  'open',
  'input',
  'dict',
  'str',
  'int',
  'float',
  'bool',
  'getattr',
]);
