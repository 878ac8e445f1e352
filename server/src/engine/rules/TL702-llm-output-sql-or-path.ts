import type { Argument, CallSite } from '../call';
import type { Node } from '../parser';
import { calleeText, defineRule, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { LLM_SOURCE_WORDS, type Taint } from '../taint';
import { qualifiedName } from '../values';
import { anchor } from './helpers';
import { calleeName, findTaint, inPackage, isLlmOutput, resolveExpr, sourceInfo, sourceText } from './llm-app-helpers';

/** Functions that take an SQL string as their first argument. */
const SQL_FUNCTIONS: Record<string, string> = {
  'sqlalchemy.text': 'sql',
  'sqlalchemy.sql.text': 'sql',
  'sqlalchemy.sql.expression.text': 'sql',
  'pandas.read_sql': 'sql',
  'pandas.read_sql_query': 'sql',
  'duckdb.sql': 'query',
  'duckdb.query': 'query',
  'duckdb.execute': 'query',
};

/** File-system functions and the parameters that name a path: (position, keyword). */
const PATH_FUNCTIONS: Record<string, [number, string][]> = {
  'builtins.open': [[0, 'file']],
  'io.open': [[0, 'file']],
  'os.remove': [[0, 'path']],
  'os.unlink': [[0, 'path']],
  'os.rmdir': [[0, 'path']],
  'os.removedirs': [[0, 'name']],
  'os.rename': [[0, 'src'], [1, 'dst']],
  'os.replace': [[0, 'src'], [1, 'dst']],
  'os.chmod': [[0, 'path']],
  'shutil.rmtree': [[0, 'path']],
  'shutil.move': [[0, 'src'], [1, 'dst']],
  'shutil.copy': [[0, 'src'], [1, 'dst']],
  'shutil.copy2': [[0, 'src'], [1, 'dst']],
  'shutil.copyfile': [[0, 'src'], [1, 'dst']],
  'shutil.copytree': [[0, 'src'], [1, 'dst']],
};

/** pathlib methods that read, write or delete the file a Path names. */
const PATH_METHODS = new Set([
  'open',
  'read_text',
  'read_bytes',
  'write_text',
  'write_bytes',
  'unlink',
  'rmdir',
  'touch',
  'mkdir',
  'rename',
  'replace',
  'chmod',
  'symlink_to',
  'hardlink_to',
]);

/** Calls that open a database connection, engine or session. */
const DB_FACTORIES = new Set([
  'sqlite3.connect',
  'sqlite3.Connection',
  'psycopg2.connect',
  'psycopg.connect',
  'psycopg.Connection.connect',
  'pymysql.connect',
  'MySQLdb.connect',
  'mysql.connector.connect',
  'pyodbc.connect',
  'duckdb.connect',
  'snowflake.connector.connect',
  'sqlalchemy.create_engine',
  'sqlalchemy.engine.create_engine',
  'sqlalchemy.orm.Session',
  'sqlalchemy.orm.sessionmaker',
  'sqlalchemy.orm.scoped_session',
]);
const DB_PACKAGES = ['sqlite3', 'psycopg2', 'psycopg', 'pymysql', 'MySQLdb', 'mysql.connector', 'pyodbc', 'duckdb', 'snowflake.connector', 'sqlalchemy'];
/** Methods of a connection/engine/session that return another database handle. */
const DB_DERIVED = new Set(['cursor', 'connect', 'begin', 'raw_connection', 'execution_options', 'session', 'begin_nested']);
const SQL_METHODS = new Set(['execute', 'executemany', 'executescript', 'exec_driver_sql']);
/** Names of database handles, for receivers the engine cannot resolve (`self.conn`, parameters). */
const DB_HANDLE_NAME = /^(?:cur|cursor|conn|connection|con|db|database|session|engine|tx|[a-z_]*_(?:cursor|cur|conn|connection|db|session|engine))$/i;
/** LangChain's SQL database wrapper: `db.run(sql)`. */
const SQL_DATABASE = /^langchain(?:_community)?\.(?:utilities|sql_database|utilities\.sql_database)\.SQLDatabase(?:\.from_uri)?$/;

function isDbHandle(node: Node, scope: Scope, depth = 0): boolean {
  if (depth > 6) return false;
  const { node: n, scope: s } = resolveExpr(node, scope);
  if (n.type !== 'call') return false;
  const fn = n.childForFieldName('function');
  if (!fn) return false;
  const q = qualifiedName(fn, s);
  if (q && DB_FACTORIES.has(q)) return true;
  if (fn.type === 'attribute') {
    const method = fn.childForFieldName('attribute')?.text ?? '';
    const object = fn.childForFieldName('object');
    if (object && DB_DERIVED.has(method)) return isDbHandle(object, s, depth + 1);
  }
  // `SessionLocal = sessionmaker(bind=engine)` then `db = SessionLocal()`
  if (fn.type === 'identifier') {
    const maker = resolveExpr(fn, s);
    if (maker.node.type === 'call') {
      const mq = calleeName(maker.node, maker.scope);
      return mq === 'sqlalchemy.orm.sessionmaker' || mq === 'sqlalchemy.orm.scoped_session';
    }
  }
  return false;
}

/**
 * A receiver the engine cannot trace to a driver call (`self.conn`, a parameter, `get_cursor()`),
 * named like a database handle, in a file that imports a database driver.
 */
function looksLikeDbHandle(node: Node, scope: Scope): boolean {
  const name = node.type === 'attribute' ? node.childForFieldName('attribute')?.text : node.type === 'identifier' ? node.text : undefined;
  if (!name || !DB_HANDLE_NAME.test(name)) return false;
  const { node: n, scope: s } = resolveExpr(node, scope);
  if (n.type === 'call') {
    // bound to a library call that is not a database driver (`session = requests.Session()`)
    const q = calleeName(n, s);
    if (q && !inPackage(q, DB_PACKAGES)) return false;
  } else if (n !== node && n.type !== 'identifier' && n.type !== 'attribute') {
    return false;
  }
  return importsDbDriver(scope);
}

function importsDbDriver(scope: Scope): boolean {
  let module: Scope = scope;
  while (module.parent) module = module.parent;
  for (const pkg of DB_PACKAGES) {
    const root = pkg.split('.')[0];
    const b = module.own(root, undefined);
    if (b?.kind === 'import' && inPackage(b.qname, [root])) return true;
  }
  return false;
}

function isSqlDatabase(node: Node, scope: Scope): boolean {
  const { node: n, scope: s } = resolveExpr(node, scope);
  return n.type === 'call' && SQL_DATABASE.test(calleeName(n, s) ?? '');
}

/** `Path(x)` or `base / x` (after following names): a pathlib path built from an expression. */
function isPathExpr(node: Node, scope: Scope): boolean {
  const { node: n, scope: s } = resolveExpr(node, scope);
  if (n.type === 'call') {
    const q = calleeName(n, s);
    return q === 'pathlib.Path' || q === 'pathlib.PurePath' || q === 'pathlib.PosixPath' || q === 'pathlib.WindowsPath';
  }
  return n.type === 'binary_operator' && n.childForFieldName('operator')?.type === '/';
}

type Sink = { kind: 'sql' | 'path'; arg?: Argument; node?: Node; scope?: Scope };

function report(ctx: RuleContext, call: CallSite, taint: Taint, kind: 'sql' | 'path', what: string): void {
  ctx.report({
    node: anchor(call),
    message:
      kind === 'sql'
        ? `Text from ${sourceText(taint)} is run as SQL by ${what}: an injected prompt can make the model write a query ` +
          'that reads or deletes other data. Run generated SQL only on a read-only connection limited to the tables it needs, ' +
          'or have the model fill parameters of queries you wrote.'
        : `Text from ${sourceText(taint)} is the path given to ${what}: an injected prompt can turn it into any file the ` +
          'process can reach (`../../.env`, your checkpoints). Keep only a file name (`os.path.basename`) inside a fixed ' +
          "folder, or map the model's choice to paths you allow.",
    related: [sourceInfo(taint)],
  });
}

export default defineRule({
  meta: {
    id: 'TL702',
    name: 'llm-output-sql-or-path',
    title: 'LLM output used as an SQL query or a file path',
    family: 'llm-app',
    severity: 'high',
    cwe: ['CWE-89', 'CWE-22'],
    threats: ['MLT-060', 'MLT-087', 'MLT-022'],
    techniques: ['AML.T0051.001', 'AML.T0053', 'AML.T0086', 'AML.T0101'],
    docs: {
      finds:
        'LLM completions that reach an SQL execution (`cursor.execute`, `executescript`, SQLAlchemy `text(...)`, ' +
        '`pandas.read_sql`, `duckdb.sql`, LangChain `SQLDatabase.run`) or a file-system path (`open`, `os.remove`, ' +
        '`shutil.rmtree`, `shutil.move`/`copy`, `Path(...).write_text`/`unlink`/...). Queries with the model\'s text ' +
        'passed as a bound parameter, and paths reduced to `os.path.basename`, are not reported.',
      why:
        'Text-to-SQL and "agentic" file helpers let the model decide which query runs or which file is touched. A ' +
        'prompt, a row of the database or a retrieved document can carry instructions that turn that decision into ' +
        '`DROP TABLE`, a query over other customers\' rows, or a path such as `../../.env` that is then read back into ' +
        'the answer or overwritten (OWASP LLM05 improper output handling, LLM06 excessive agency).',
      example:
        'import sqlite3\n\nfrom langchain_openai import ChatOpenAI\n\nllm = ChatOpenAI(model="gpt-4o-mini")\n' +
        'conn = sqlite3.connect("shop.db")\n\n\ndef ask(question):\n' +
        '    sql = llm.invoke(f"Write one SQLite query for: {question}").content\n' +
        '    return conn.execute(sql).fetchall()\n',
      useInstead:
        'import sqlite3\n\nfrom langchain_openai import ChatOpenAI\n\nllm = ChatOpenAI(model="gpt-4o-mini")\n' +
        '# read-only connection; the model only picks a product name, the query is fixed\n' +
        'conn = sqlite3.connect("file:shop.db?mode=ro", uri=True)\n\n\ndef ask(question):\n' +
        '    name = llm.invoke(f"Which product is this about? {question}").content\n' +
        '    return conn.execute("SELECT price, stock FROM products WHERE name = ?", (name,)).fetchall()\n',
      references: [
        { title: 'OWASP LLM05:2025 Improper Output Handling', url: 'https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/' },
        { title: 'OWASP LLM06:2025 Excessive Agency', url: 'https://genai.owasp.org/llmrisk/llm062025-excessive-agency/' },
        { title: 'LangChain security policy', url: 'https://python.langchain.com/docs/security/' },
        { title: 'CWE-89: SQL Injection', url: 'https://cwe.mitre.org/data/definitions/89.html' },
        { title: 'CWE-22: Path Traversal', url: 'https://cwe.mitre.org/data/definitions/22.html' },
      ],
    },
  },
  requires: LLM_SOURCE_WORDS,
  needsTaint: 'llm',
  triggers: ['execute', 'text', 'read_sql', 'duckdb', 'run', 'open', 'remove', 'unlink', 'rmdir', 'rename', 'replace', 'chmod', 'rmtree', 'move', 'copy', 'write_', 'read_', 'touch', 'mkdir', 'symlink_to', 'hardlink_to'],
  anyCall: true,
  check(call, ctx) {
    const q = call.qname;
    const sinks: Sink[] = [];
    let what = q ? `\`${q.replace(/^builtins\./, '')}\`` : '';
    if (q && SQL_FUNCTIONS[q] !== undefined) {
      sinks.push({ kind: 'sql', arg: call.arg(0, SQL_FUNCTIONS[q]) });
    } else if (q && PATH_FUNCTIONS[q]) {
      for (const [i, kw] of PATH_FUNCTIONS[q]) sinks.push({ kind: 'path', arg: call.arg(i, kw) });
    } else if (call.callee.type === 'attribute') {
      const method = call.callee.childForFieldName('attribute')?.text ?? '';
      const object = call.callee.childForFieldName('object');
      if (!object) return;
      if (SQL_METHODS.has(method) && (isDbHandle(object, call.scope) || looksLikeDbHandle(object, call.scope))) {
        sinks.push({ kind: 'sql', arg: call.arg(0, method === 'executescript' ? 'sql_script' : 'statement') ?? call.arg(0, 'sql') ?? call.arg(0, 'operation') });
        what = `\`${calleeText(call)}\``;
      } else if ((method === 'run' || method === 'run_no_throw') && isSqlDatabase(object, call.scope)) {
        sinks.push({ kind: 'sql', arg: call.arg(0, 'command') });
        what = '`SQLDatabase.run`';
      } else if (PATH_METHODS.has(method) && isPathExpr(object, call.scope)) {
        sinks.push({ kind: 'path', node: object, scope: call.scope });
        if (method === 'rename' || method === 'replace' || method === 'symlink_to' || method === 'hardlink_to') sinks.push({ kind: 'path', arg: call.arg(0, 'target') });
        what = `\`Path.${method}\``;
      }
    }
    for (const sink of sinks) {
      const node = sink.arg?.value ?? sink.node;
      const scope = sink.arg?.scope ?? sink.scope;
      if (!node || !scope) continue;
      const taint = findTaint(ctx, node, scope, isLlmOutput);
      if (taint) {
        report(ctx, call, taint, sink.kind, what);
        return;
      }
    }
  },
});
