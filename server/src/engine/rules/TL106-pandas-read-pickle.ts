import { defineRule } from '../rule';
import { anchor, withTaint } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL106',
    name: 'pandas-read-pickle',
    title: 'Reading a DataFrame with pandas.read_pickle',
    family: 'deserialization',
    severity: 'high',
    ...DESERIALIZATION_LINKS,
    peers: { bandit: ['B301'] },
    docs: {
      finds: 'Calls to `pandas.read_pickle`.',
      why:
        '`read_pickle` unpickles the file, so a dataset pickle from a colleague, a bucket or a download ' +
        'runs code when it is read. The pandas documentation warns to load pickles only from trusted sources.',
      example: 'import pandas as pd\n\ndf = pd.read_pickle("s3_download/train.pkl")\n',
      useInstead: 'import pandas as pd\n\ndf = pd.read_parquet("train.parquet")\n',
      references: [
        { title: 'pandas: read_pickle', url: 'https://pandas.pydata.org/docs/reference/api/pandas.read_pickle.html' },
        REF.cwe502,
      ],
    },
  },
  triggers: ['read_pickle'],
  calls: ['pandas.read_pickle'],
  check(call, ctx) {
    ctx.report(
      withTaint(ctx, call.arg(0, 'filepath_or_buffer'), {
        node: anchor(call),
        message: '`read_pickle` unpickles the file and runs any code it carries; store data frames as Parquet, Feather or CSV instead.',
      }),
    );
  },
});
