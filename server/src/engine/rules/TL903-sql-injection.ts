import { TAINT_SOURCE_WORDS } from '../taint';
import { CallSite, type Argument } from '../call';
import type { Node } from '../parser';
import { calleeText, defineRule, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { valueOf } from '../values';
import { anchor } from './helpers';
import { fromLibrary, methodCall, originOf, reportTainted, untrustedArg } from './untrusted-input-helpers';

/** Functions that take SQL text, with the position and keyword of the query. */
const FUNCTIONS: Record<string, readonly [number, string]> = {
  'sqlalchemy.text': [0, 'text'],
  'sqlalchemy.sql.text': [0, 'text'],
  'sqlalchemy.sql.expression.text': [0, 'text'],
  'pandas.read_sql': [0, 'sql'],
  'pandas.read_sql_query': [0, 'sql'],
  'duckdb.sql': [0, 'query'],
  'duckdb.query': [0, 'query'],
  'duckdb.execute': [0, 'query'],
};

/** Methods that run SQL text given as their first argument. */
const METHODS = new Set(['execute', 'executemany', 'executescript', 'exec_driver_sql', 'sql', 'query']);
/** Methods so common outside databases that they count only on a database object. */
const DB_ONLY_METHODS = new Set(['query']);
/** Libraries whose connections, cursors, sessions and engines run SQL. */
const DATABASES = [
  'sqlite3',
  'aiosqlite',
  'psycopg2',
  'psycopg',
  'pymysql',
  'MySQLdb',
  'mysql.connector',
  'asyncpg',
  'sqlalchemy',
  'duckdb',
  'pyodbc',
  'oracledb',
  'cx_Oracle',
  'snowflake.connector',
  'clickhouse_driver',
  'pyspark.sql',
  'databricks.sql',
];

/** Words that only SQL text contains: the constant parts of a built query must show one. */
const SQL_WORDS = /\b(select\s[\s\S]*\bfrom|insert\s+into|update\s[\s\S]*\bset|delete\s+from|where|create\s+table|drop\s+table|alter\s+table|order\s+by|group\s+by|values\s*\(|pragma)\b/i;

/**
 * The constant text of a query built by f-string, `+`, `%`, `.format`, `" ".join` or `+=`, through
 * names bound to such expressions, and whether any building happened at all.
 */
function queryText(node: Node, scope: Scope, depth = 0): { text: string; built: boolean } {
  const none = { text: '', built: false };
  if (depth > 10) return none;
  const join = (parts: { text: string; built: boolean }[], built: boolean) => ({
    text: parts.map((p) => p.text).join(' '),
    built: built || parts.some((p) => p.built),
  });
  switch (node.type) {
    case 'parenthesized_expression': {
      const inner = node.namedChild(0);
      return inner ? queryText(inner, scope, depth + 1) : none;
    }
    case 'identifier': {
      const binding = scope.lookup(node.text, node.startIndex);
      if (binding?.kind === 'assign') return queryText(binding.value, binding.scope, depth + 1);
      if (binding?.kind === 'opaque' && binding.node?.type === 'augmented_assignment') {
        const left = binding.node.childForFieldName('left');
        const right = binding.node.childForFieldName('right');
        const before = left ? queryText(left, scope, depth + 1) : none;
        return join([before, right ? queryText(right, scope, depth + 1) : none], true);
      }
      return none;
    }
    case 'string': {
      const parts = node.namedChildren.filter((c) => c?.type === 'string_content' || c?.type === 'escape_sequence').map((c) => c!.text);
      return { text: parts.join(''), built: node.namedChildren.some((c) => c?.type === 'interpolation') };
    }
    case 'concatenated_string':
      return join(node.namedChildren.filter((c): c is Node => c !== null).map((c) => queryText(c, scope, depth + 1)), false);
    case 'binary_operator': {
      const op = node.childForFieldName('operator')?.type;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if ((op !== '+' && op !== '%') || !left || !right) return none;
      return join([queryText(left, scope, depth + 1), queryText(right, scope, depth + 1)], true);
    }
    case 'call': {
      const m = methodCall(node);
      if (m && (m[1] === 'format' || m[1] === 'join')) {
        const args = node.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => a !== null) ?? [];
        const values = args.map((a) => queryText(a.type === 'keyword_argument' ? (a.childForFieldName('value') ?? a) : a, scope, depth + 1));
        return join([queryText(m[0], scope, depth + 1), ...values], true);
      }
      return none;
    }
    case 'list':
    case 'tuple':
      return join(node.namedChildren.filter((c): c is Node => c !== null).map((c) => queryText(c, scope, depth + 1)), false);
    default: {
      const v = valueOf(node, scope);
      return v.kind === 'string' ? { text: v.value, built: false } : none;
    }
  }
}

function report(ctx: RuleContext, call: CallSite, arg: Argument): void {
  const taint = untrustedArg(ctx, arg);
  if (!taint) return;
  reportTainted(ctx, {
    node: anchor(call, arg.value),
    taint,
    lead: `\`${calleeText(call)}\` runs SQL text built from`,
    advice:
      'a quote in the value rewrites the query (read other tables, change or drop data). Pass values as query ' +
      'parameters (`execute("... WHERE id = ?", (value,))`, `text("... :id")` with a dict), and pick table or ' +
      'column names from a fixed set.',
  });
}

export default defineRule({
  meta: {
    id: 'TL903',
    name: 'sql-injection',
    title: 'SQL text built from untrusted input',
    family: 'untrusted-input',
    severity: 'high',
    cwe: ['CWE-89'],
    // Feature stores, label databases and experiment trackers read or rewritten through a public endpoint.
    threats: ['MLT-087', 'MLT-024'],
    techniques: ['AML.T0049', 'AML.T0036', 'AML.T0025'],
    docs: {
      finds:
        'SQL text that contains request data, upload data, UI input or console input, run by `cursor.execute` and ' +
        'friends (sqlite3, psycopg, MySQL drivers, SQLAlchemy, DuckDB, Spark `spark.sql`), `sqlalchemy.text` or ' +
        '`pd.read_sql`. Values passed separately as query parameters are not reported. On objects that are not ' +
        'known database handles, only text that reads as SQL (`SELECT ... FROM`, `WHERE`, `INSERT INTO`) counts.',
      why:
        'Model services keep predictions, users, feedback and features in SQL tables. A name or id pasted into the ' +
        'query text lets the client close the quote and add their own SQL: dump every table, rewrite labels that the ' +
        'next training run learns from, or drop the data.',
      example:
        'import sqlite3\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.get("/predictions")\ndef predictions():\n' +
        '    conn = sqlite3.connect("preds.db")\n    user = request.args["user"]\n' +
        '    rows = conn.execute(f"SELECT label, score FROM predictions WHERE user = \'{user}\'").fetchall()\n    return {"rows": rows}\n',
      useInstead:
        'import sqlite3\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.get("/predictions")\ndef predictions():\n' +
        '    conn = sqlite3.connect("preds.db")\n    user = request.args["user"]\n' +
        '    rows = conn.execute("SELECT label, score FROM predictions WHERE user = ?", (user,)).fetchall()\n    return {"rows": rows}\n',
      references: [
        { title: 'CWE-89: SQL Injection', url: 'https://cwe.mitre.org/data/definitions/89.html' },
        { title: 'OWASP SQL Injection Prevention Cheat Sheet', url: 'https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html' },
        { title: 'Python docs: sqlite3 placeholders', url: 'https://docs.python.org/3/library/sqlite3.html#sqlite3-placeholders' },
      ],
    },
  },
  requires: TAINT_SOURCE_WORDS,
  needsTaint: 'any',
  triggers: ['execute', 'sql', 'query', 'text'],
  calls: Object.keys(FUNCTIONS),
  check(call, ctx) {
    const [index, keyword] = FUNCTIONS[call.qname!];
    const arg = call.arg(index, keyword);
    if (arg) report(ctx, call, arg);
  },
  nodes: ['call'],
  checkNode(node, ctx) {
    const m = methodCall(node, (name) => METHODS.has(name));
    if (!m) return;
    const scope = ctx.scopeOf(node);
    const call = CallSite.resolve(node, scope);
    if (call.qname && FUNCTIONS[call.qname]) return;
    const arg = call.arg(0) ?? ['query', 'statement', 'sql', 'operation', 'sql_script'].map((k) => call.keyword(k)).find((a) => a !== undefined);
    if (!arg) return;
    const database = fromLibrary(originOf(m[0], scope), DATABASES);
    if (!database) {
      if (DB_ONLY_METHODS.has(m[1])) return;
      // On an object we cannot place, only a query built around SQL text counts.
      const q = queryText(arg.value, arg.scope);
      if (!q.built || !SQL_WORDS.test(q.text)) return;
    }
    report(ctx, call, arg);
  },
});
