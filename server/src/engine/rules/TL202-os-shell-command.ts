import { defineRule, member } from '../rule';
import { anchor, isDynamic, withTaint } from './helpers';
import { llmOutputIn } from './llm-app-helpers';
import { REF, SHELL_LINKS } from './links';

export default defineRule({
  meta: {
    id: 'TL202',
    name: 'os-shell-command',
    title: 'os.system or os.popen with a non-constant command',
    family: 'code-execution',
    severity: 'high',
    cwe: ['CWE-78'],
    ...SHELL_LINKS,
    peers: { bandit: ['B605'], ruff: ['S605'] },
    docs: {
      finds: '`os.system` and `os.popen` called with a command that is not a constant string. When the command comes from an LLM completion, TL701 reports the call instead.',
      why:
        'Both hand the string to `/bin/sh`. If any part of it comes from a file name, a config value, a ' +
        'dataset field or a model\'s output, characters such as `;`, `$( )` or backticks start commands of the ' +
        'attacker\'s choice.',
      example: 'import os\n\nos.system(f"wget {dataset_url} -O data.zip")\n',
      useInstead: 'import subprocess\n\nsubprocess.run(["wget", dataset_url, "-O", "data.zip"], check=True)\n',
      references: [REF.subprocess, REF.cwe78, REF.interpreter],
    },
  },
  triggers: ['system', 'popen'],
  calls: ['os.system', 'os.popen'],
  check(call, ctx) {
    const arg = call.arg(0, member(call.qname) === 'system' ? 'command' : 'cmd');
    if (!isDynamic(call, arg)) return;
    // LLM output is reported by TL701.
    if (llmOutputIn(ctx, arg)) return;
    ctx.report(
      withTaint(ctx, arg, {
        node: anchor(call),
        message: `\`os.${member(call.qname)}\` passes a built string to the shell: shell characters in it run extra commands. Use \`subprocess.run([...])\` with a list of arguments.`,
      }),
    );
  },
});
