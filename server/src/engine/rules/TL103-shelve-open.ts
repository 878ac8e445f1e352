import { defineRule } from '../rule';
import { anchor, withTaint } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL103',
    name: 'shelve-open',
    title: 'Opening a shelve database',
    family: 'deserialization',
    severity: 'medium',
    ...DESERIALIZATION_LINKS,
    peers: { bandit: ['B301'] },
    docs: {
      finds: 'Calls to `shelve.open`.',
      why:
        'A shelf stores every value as a pickle. Reading a shelf that someone else can write, such as a ' +
        'shared cache of features or experiment results, unpickles their data and runs their code.',
      example: 'import shelve\n\ncache = shelve.open("/shared/feature_cache")\nfeatures = cache["train"]\n',
      useInstead:
        'import sqlite3\nimport json\n\ndb = sqlite3.connect("feature_cache.db")\nrow = db.execute("SELECT value FROM cache WHERE key = ?", ("train",)).fetchone()\nfeatures = json.loads(row[0])\n',
      references: [{ title: 'Python docs: shelve', url: 'https://docs.python.org/3/library/shelve.html' }, REF.cwe502],
    },
  },
  triggers: ['shelve'],
  calls: ['shelve.open', 'shelve.DbfilenameShelf', 'shelve.Shelf'],
  check(call, ctx) {
    ctx.report(
      withTaint(ctx, call.arg(0, 'filename'), {
        node: anchor(call),
        message: 'shelve stores values as pickles: reading a shelf that others can write runs their code. Use a data-only store (sqlite with JSON, Parquet).',
      }),
    );
  },
});
