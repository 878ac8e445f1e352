import { CallSite } from '../call';
import { defineRule, member } from '../rule';
import { anchor, isDynamic, withTaint } from './helpers';
import { llmOutputIn } from './llm-app-helpers';
import { CODE_EXECUTION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL201',
    name: 'dynamic-code-eval',
    title: 'eval, exec or compile on a non-constant string',
    family: 'code-execution',
    severity: 'high',
    cwe: ['CWE-95', 'CWE-94'],
    ...CODE_EXECUTION_LINKS,
    peers: { bandit: ['B307', 'B102'], ruff: ['S307', 'S102'] },
    docs: {
      finds:
        'Calls to the builtins `eval`, `exec` and `compile` whose code argument is not a constant string. ' +
        'Methods with the same names (`model.eval()`, `re.compile`, `torch.compile`) are not builtins and are ignored. When the code comes from an LLM completion, TL701 reports the call instead.',
      why:
        'Whatever reaches these calls runs as Python with the process\'s permissions. In ML code the string ' +
        'often comes from a config file, a notebook widget, a request or an LLM\'s answer (MathGPT was taken ' +
        'over exactly this way), so the author of that text controls the machine.',
      example: 'expr = request.args["metric"]\nscore = eval(expr)\n',
      useInstead:
        'import ast\n\n# Literals only:\nvalue = ast.literal_eval(text)\n# Or map names to functions you allow:\nMETRICS = {"f1": f1_score, "acc": accuracy_score}\nscore = METRICS[name](y_true, y_pred)\n',
      references: [
        { title: 'Python docs: eval', url: 'https://docs.python.org/3/library/functions.html#eval' },
        { title: 'Python docs: ast.literal_eval', url: 'https://docs.python.org/3/library/ast.html#ast.literal_eval' },
        REF.cwe95,
        REF.interpreter,
      ],
    },
  },
  triggers: ['eval', 'exec', 'compile'],
  calls: ['builtins.eval', 'builtins.exec', 'builtins.compile'],
  check(call, ctx) {
    const arg = call.arg(0, 'source');
    if (!isDynamic(call, arg)) return;
    // `exec(compile(src, ...))`: the inner `compile` call carries the finding when `src` is dynamic.
    if (arg!.value.type === 'call' && CallSite.resolve(arg!.value, arg!.scope).qname === 'builtins.compile') return;
    // LLM output is reported by TL701.
    if (llmOutputIn(ctx, arg)) return;
    const fn = member(call.qname);
    ctx.report(
      withTaint(ctx, arg, {
        node: anchor(call),
        message:
          `\`${fn}\` runs a string that is not a constant: whoever shapes that text runs code in this process. ` +
          (fn === 'eval' ? 'Use `ast.literal_eval` for literals or a lookup table of allowed functions.' : 'Call the code directly, or allow-list what may run.'),
      }),
    );
  },
});
