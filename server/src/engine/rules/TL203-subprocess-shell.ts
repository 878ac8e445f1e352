import type { CallSite } from '../call';
import { ensureImport, removeArgument, replaceNode } from '../edits';
import type { Node } from '../parser';
import { defineRule, member } from '../rule';
import type { Fix } from '../types';
import { SUBPROCESS_CALLS, anchor, argTruth, isDynamic, withTaint } from './helpers';
import { llmOutputIn } from './llm-app-helpers';
import { REF, SHELL_LINKS } from './links';

const SHELL_META = /[|&;<>()$`\\*?~{}[\]'"#!]/;

/**
 * Splits a plain or f-string command into list elements, or returns undefined when shell syntax
 * (pipes, quotes, redirections, globbing) makes a list an unfaithful rewrite.
 */
export function commandToList(str: Node): string | undefined {
  if (str.type !== 'string') return undefined;
  const start = str.namedChildren.find((c) => c?.type === 'string_start');
  const m = start ? /^([fF]?)(["'])$/.exec(start.text) : null;
  if (!m) return undefined;
  const quote = m[2];
  const tokens: { text: string; exprs: number; plain: string | undefined }[] = [];
  let current: { text: string; exprs: number; plain: string | undefined } | undefined;
  const push = (text: string, expr: Node | undefined) => {
    current ??= { text: '', exprs: 0, plain: undefined };
    current.text += text;
    if (expr) {
      current.exprs++;
      const simple = expr.namedChildren.length === 1 && !expr.namedChildren.some((c) => c?.type === 'format_specifier' || c?.type === 'type_conversion');
      current.plain = simple && current.text === text ? expr.namedChildren[0]!.text : undefined;
    } else if (current.exprs > 0) {
      current.plain = undefined;
    }
  };
  for (const child of str.namedChildren) {
    if (!child || child.type === 'string_start' || child.type === 'string_end') continue;
    if (child.type === 'interpolation') {
      push(child.text, child);
      continue;
    }
    const text = child.text;
    if (SHELL_META.test(text)) return undefined;
    const parts = text.split(/(\s+)/);
    for (const part of parts) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) {
        if (current) tokens.push(current);
        current = undefined;
      } else push(part, undefined);
    }
  }
  if (current) tokens.push(current);
  if (tokens.length === 0) return undefined;
  const rendered = tokens.map((t) => {
    if (t.exprs === 0) return `${quote}${t.text}${quote}`;
    if (t.exprs === 1 && t.plain !== undefined) return `str(${t.plain})`;
    return `f${quote}${t.text}${quote}`;
  });
  return `[${rendered.join(', ')}]`;
}

function listFix(call: CallSite, command: Node, shellKeyword: Node | undefined): Fix[] {
  if (!shellKeyword) return [];
  const removeShell = removeArgument(call, shellKeyword);
  if (!removeShell) return [];
  const asList = commandToList(command);
  if (asList) {
    return [{ title: 'Pass the command as a list without shell=True', safety: 'unsafe', edits: [replaceNode(command, asList), removeShell] }];
  }
  if (command.type === 'string') return [];
  const imp = ensureImport(call.node, call.scope, 'shlex');
  if (imp === undefined) return [];
  const edits = [replaceNode(command, `shlex.split(${command.text})`), removeShell];
  if (imp) edits.unshift(imp);
  return [{ title: 'Split the command with shlex.split and drop shell=True', safety: 'unsafe', edits }];
}

export default defineRule({
  meta: {
    id: 'TL203',
    name: 'subprocess-shell-injection',
    title: 'subprocess with shell=True and a non-constant command',
    family: 'code-execution',
    severity: 'high',
    cwe: ['CWE-78'],
    ...SHELL_LINKS,
    peers: { bandit: ['B602', 'B605'], ruff: ['S602', 'S605'] },
    docs: {
      finds:
        '`subprocess.run`, `call`, `check_call`, `check_output` and `Popen` with `shell=True` and a command ' +
        'that is not a constant string, and `subprocess.getoutput`/`getstatusoutput` (which always use a ' +
        'shell) with a non-constant command. When the command comes from an LLM completion, TL701 reports the call instead.',
      why:
        'With a shell, the command string is parsed by `/bin/sh`: a run name, a file name from a dataset or ' +
        'a value produced by a model that contains `;` or `$( )` starts commands of its author\'s choosing.',
      example: 'import subprocess\n\nsubprocess.run(f"python train.py --run-name {run_name}", shell=True)\n',
      useInstead: 'import subprocess\n\nsubprocess.run(["python", "train.py", "--run-name", str(run_name)], check=True)\n',
      references: [REF.subprocess, REF.cwe78, REF.interpreter],
    },
  },
  triggers: ['subprocess'],
  calls: SUBPROCESS_CALLS,
  check(call, ctx) {
    const fn = member(call.qname);
    const cmd = call.arg(0, fn.startsWith('get') ? 'cmd' : 'args');
    if (!cmd || !isDynamic(call, cmd)) return;
    // LLM output is reported by TL701.
    if (llmOutputIn(ctx, cmd)) return;
    if (fn === 'getoutput' || fn === 'getstatusoutput') {
      ctx.report(
        withTaint(ctx, cmd, {
          node: anchor(call),
          message: `\`subprocess.${fn}\` always runs its command through the shell; with a built command, shell characters in it run extra commands. Use \`subprocess.run([...], capture_output=True)\`.`,
        }),
      );
      return;
    }
    const shell = call.keyword('shell');
    if (!shell || argTruth(call, shell) !== true) return;
    // A list command with shell=True runs only its first element through the shell; still report it.
    ctx.report(
      withTaint(ctx, cmd, {
        node: anchor(call),
        message: `\`subprocess.${fn}\` with \`shell=True\` hands a built command to \`/bin/sh\`: shell characters in it run extra commands. Pass a list of arguments without \`shell=True\`.`,
        fixes: shell.fromSplat || cmd.fromSplat ? [] : listFix(call, cmd.value, shell.keyword),
      }),
    );
  },
});
