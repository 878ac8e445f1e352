import type { Node } from '../parser';
import { defineRule } from '../rule';
import { anchor, isDynamic, withTaint } from './helpers';

export default defineRule({
  meta: {
    id: 'TL204',
    name: 'dynamic-import',
    title: 'Importing a module whose name is not a constant',
    family: 'code-execution',
    severity: 'low',
    cwe: ['CWE-470', 'CWE-94'],
    threats: ['MLT-019', 'MLT-087'],
    techniques: ['AML.T0050', 'AML.T0011'],
    docs: {
      finds: '`__import__(name)` and `importlib.import_module(name)` where `name` is not a constant string.',
      why:
        'Importing runs the module\'s top-level code. When the module name comes from a config file, a ' +
        'checkpoint\'s metadata or a request, whoever writes it chooses which code runs, and a file dropped ' +
        'on the import path becomes code execution.',
      example: 'import importlib\n\nmodel_cls = importlib.import_module(cfg["model_module"]).Model\n',
      useInstead:
        'import importlib\n\nALLOWED = {"resnet": "models.resnet", "vit": "models.vit"}\nmodel_cls = importlib.import_module(ALLOWED[cfg["model"]]).Model\n',
      references: [
        { title: 'Python docs: importlib.import_module', url: 'https://docs.python.org/3/library/importlib.html#importlib.import_module' },
        { title: 'CWE-470: Unsafe Reflection', url: 'https://cwe.mitre.org/data/definitions/470.html' },
      ],
    },
  },
  triggers: ['__import__', 'import_module'],
  calls: ['builtins.__import__', 'importlib.import_module'],
  check(call, ctx) {
    const arg = call.arg(0, 'name');
    if (!isDynamic(call, arg)) return;
    // `import_module("." + name, __package__)`: a relative name with a constant leading dot only
    // reaches submodules of the caller's own package (the lazy `__getattr__` pattern).
    if (call.qname === 'importlib.import_module' && call.arg(1, 'package') && startsWithDot(arg!.value)) return;
    ctx.report(
      withTaint(ctx, arg, {
        node: anchor(call),
        message: 'The module name is not a constant: whoever controls it chooses which code is imported and run. Map allowed names to modules in a dict.',
      }),
    );
  },
});

function startsWithDot(node: Node): boolean {
  if (node.type === 'binary_operator') {
    const left = node.childForFieldName('left');
    return left?.type === 'string' && /^['"]\./.test(left.text);
  }
  return node.type === 'string' && /^[fF]?['"]\./.test(node.text);
}
