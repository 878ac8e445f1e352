/**
 * Engine behaviour that the corpus does not show line by line: name and value resolution,
 * suppression, options, malformed input and the exact text of fixes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RULES, applyEdits, triggeredRules, type AnalysisOptions, type Engine, type Finding } from '../server/src/engine';
import { getEngine, py } from './helpers';
import { credentialValue, mayEmbedCredential, mayHoldCredential, type SecretClass } from '../server/src/engine/rules/secrets-patterns';
import { buildScopes, scopeAt } from '../server/src/engine/scope';

let engine: Engine;
before(async () => {
  engine = await getEngine();
});

function ids(text: string, options?: AnalysisOptions): string[] {
  return engine.analyze(text, options).findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`);
}

function only(text: string, options?: AnalysisOptions): Finding {
  const { findings } = engine.analyze(text, options);
  assert.equal(findings.length, 1, JSON.stringify(findings.map((f) => f.ruleId)));
  return findings[0];
}

describe('name resolution', () => {
  it('follows import aliases, from-imports and attribute chains', () => {
    const text = py`
      import pickle as pk
      import torch.serialization
      import torch.serialization as ser
      from yaml import load as yload
      pk.loads(b)
      torch.serialization.load(f)
      ser.load(f)
      yload(stream)
    `;
    assert.deepEqual(ids(text), ['5:TL101', '6:TL108', '7:TL108', '8:TL109']);
  });

  it('normalises cPickle, _pickle and tensorflow.keras', () => {
    const text = py`
      import cPickle
      import _pickle as cp
      from tensorflow import keras
      cPickle.load(f)
      cp.Unpickler(f)
      keras.models.load_model(p, safe_mode=False)
    `;
    assert.deepEqual(ids(text), ['4:TL101', '5:TL101', '6:TL110']);
  });

  it('resolves wildcard imports of known modules only', () => {
    const text = py`
      from pickle import *
      from mylib import *
      loads(b)
      decode(b)
    `;
    assert.deepEqual(ids(text), ['3:TL101']);
  });

  it('stops treating a name as the import once it is re-bound in source order', () => {
    const text = py`
      from pickle import load
      load(f)
      def load(path):
          return open(path).read()
      load(f)
      import json
      from pickle import loads
      loads = json.loads
      loads(s)
    `;
    assert.deepEqual(ids(text), ['2:TL101']);
  });

  it('sees the final module binding from inside a function body', () => {
    const text = py`
      def restore(path):
          return load(path)
      from pickle import load
    `;
    assert.deepEqual(ids(text), ['2:TL101']);
  });

  it('resolves function-local imports without leaking them to the module', () => {
    const text = py`
      def a(b):
          import pickle
          return pickle.loads(b)
      def c(pickle):
          return pickle.loads(b)
      pickle.loads(b)
    `;
    assert.deepEqual(ids(text), ['3:TL101']);
  });

  it('follows simple assignments of functions and modules', () => {
    const text = py`
      import torch, yaml
      loader = torch.load
      y = yaml
      state = loader("ckpt.pt")
      cfg = y.load(stream)
    `;
    assert.deepEqual(ids(text), ['4:TL108', '5:TL109']);
  });

  it('ignores methods that share a builtin name', () => {
    const text = py`
      import re, torch
      model.eval()
      self.exec(code)
      pattern = re.compile(user_regex)
      fast = torch.compile(model)
      eval(user_input)
    `;
    assert.deepEqual(ids(text), ['6:TL201']);
  });

  it('respects a local def shadowing a builtin', () => {
    const text = py`
      def eval(model, loader):
          return model(loader)
      eval(m, data)
    `;
    assert.deepEqual(ids(text), []);
  });

  it('does not let a class body binding leak into its methods', () => {
    const text = py`
      import pickle
      class Store:
          pickle = None
          def get(self, b):
              return pickle.loads(b)
    `;
    assert.deepEqual(ids(text), ['5:TL101']);
  });
});

describe('value resolution', () => {
  it('reads keyword and positional arguments', () => {
    const text = py`
      import numpy as np
      np.load(p, None, True)
      np.load(p, allow_pickle=True)
      np.load(p, None, False)
    `;
    assert.deepEqual(ids(text), ['2:TL107', '3:TL107']);
  });

  it('follows names bound to literals in the same and enclosing scopes', () => {
    const text = py`
      import torch, subprocess
      SAFE = True
      UNSAFE = False
      SHELL = True
      def f(p, cmd):
          a = torch.load(p, weights_only=SAFE)
          b = torch.load(p, weights_only=UNSAFE)
          subprocess.run(cmd, shell=SHELL)
    `;
    assert.deepEqual(ids(text), ['7:TL108', '8:TL203']);
  });

  it('expands literal **kwargs dicts and stays quiet on unknown ones', () => {
    const text = py`
      import torch
      opts = {"map_location": "cpu", "weights_only": True}
      bad = dict(weights_only=False)
      torch.load(p, **opts)
      torch.load(p, **bad)
      torch.load(p, **{"weights_only": False})
      torch.load(p, **kwargs)
    `;
    assert.deepEqual(ids(text), ['5:TL108', '6:TL108']);
  });

  it('treats constant strings, concatenations and names of constants as constant', () => {
    const text = py`
      import os
      BASE = "ls"
      CMD = BASE + " -la"
      os.system(CMD)
      os.system("echo " "hi")
      os.system(f"ls {folder}")
      os.system("ls " + folder)
    `;
    assert.deepEqual(ids(text), ['6:TL202', '7:TL202']);
  });

  it('treats a lookup in a literal allow-list as constant', () => {
    const text = py`
      import importlib
      MODULES = {"resnet": "models.resnet", "vit": "models.vit"}
      importlib.import_module(MODULES[name])
      importlib.import_module(name)
    `;
    assert.deepEqual(ids(text), ['4:TL204']);
  });

  it('accepts a SafeLoader subclass defined in the file and rejects an unsafe one', () => {
    const text = py`
      import yaml
      class Cfg(yaml.SafeLoader):
          pass
      class Bad(yaml.UnsafeLoader):
          pass
      yaml.load(f, Loader=Cfg)
      yaml.load(f, Loader=Bad)
      yaml.load(f, yaml.CSafeLoader)
    `;
    assert.deepEqual(ids(text), ['7:TL109']);
  });
});

describe('suppression', () => {
  const text = py`
    import pickle
    pickle.loads(a)  # threatlens: ignore[TL101] produced by our own exporter
    # threatlens: ignore-next-line[TL101]
    pickle.loads(b)
    pickle.loads(c)  # nosec
    pickle.loads(d)  # nosec B301
    pickle.loads(e)  # nosec B506
    pickle.loads(f)  # threatlens: ignore[TL109]
  `;

  it('honours ignore, ignore-next-line and nosec (bare or with the Bandit id)', () => {
    const result = engine.analyze(text);
    assert.deepEqual(result.findings.map((f) => f.range.start.line + 1), [7, 8]);
    assert.equal(result.suppressed, 4);
  });

  it('can stop honouring nosec', () => {
    assert.deepEqual(
      engine.analyze(text, { honorNosec: false }).findings.map((f) => f.range.start.line + 1),
      [5, 6, 7, 8],
    );
  });

  it('accepts the comment on the last line of a multi-line call', () => {
    const multi = py`
      import torch
      state = torch.load(
          path,
      )  # threatlens: ignore[TL108] trusted local cache
    `;
    assert.deepEqual(ids(multi), []);
  });
});

describe('options', () => {
  const text = 'import pickle, torch\npickle.loads(b)\ntorch.load(p)\n';
  it('disables and selects rules', () => {
    assert.deepEqual(ids(text, { disabledRules: ['TL101'] }), ['3:TL108']);
    assert.deepEqual(ids(text, { selectedRules: ['TL101'] }), ['2:TL101']);
  });
  it('overrides severities', () => {
    const f = engine.analyze(text, { severityOverrides: { TL108: 'critical' } }).findings;
    assert.deepEqual(f.map((x) => x.severity), ['high', 'critical']);
  });
  it('skips files that mention nothing a rule looks at, without parsing them', () => {
    const r = engine.analyze('def f(:\n  return 1\n');
    assert.equal(r.findings.length, 0);
    assert.equal(r.hasSyntaxErrors, false);
    assert.equal(engine.analyze('def f(:\n  return 1\n', {}, true).hasSyntaxErrors, true);
  });
});

describe('malformed input', () => {
  it('still finds calls in the parts tree-sitter recovers', () => {
    const text = py`
      import pickle, yaml
      def broken(:
          pass
      data = pickle.loads(blob)
      cfg = yaml.load(open("c.yaml")
      x = [1, 2
    `;
    const r = engine.analyze(text);
    assert.equal(r.hasSyntaxErrors, true);
    assert.ok(r.findings.some((f) => f.ruleId === 'TL101' && f.range.start.line === 3), JSON.stringify(r.findings));
  });

  it('never throws on odd text', () => {
    for (const text of ['', '\0\0\0', 'import', 'from . import *', ')))(((', 'import pickle\n' + 'pickle.loads('.repeat(500), '\uFEFFimport pickle\npickle.loads(x)\n']) {
      assert.doesNotThrow(() => engine.analyze(text));
    }
  });

  it('reports UTF-16 columns after non-ASCII text', () => {
    const f = only('import pickle\ns = "héllo😀"; x = pickle.loads(s)\n');
    assert.equal(f.range.start.character, 'héllo😀'.length + 'ss = ""; x = '.length - 1);
  });
});

describe('fixes', () => {
  function fix(text: string, title?: RegExp): string {
    const f = only(text);
    const chosen = title ? f.fixes.find((x) => title.test(x.title)) : f.fixes[0];
    assert.ok(chosen, `no fix in ${JSON.stringify(f.fixes.map((x) => x.title))}`);
    return applyEdits(text, chosen.edits);
  }

  it('adds weights_only=True, keeping multi-line formatting', () => {
    assert.equal(fix('import torch\nm = torch.load(p)\n'), 'import torch\nm = torch.load(p, weights_only=True)\n');
    assert.equal(fix('import torch\nm = torch.load()\n'), 'import torch\nm = torch.load(weights_only=True)\n');
    assert.equal(
      fix('import torch\nm = torch.load(\n    p,\n    map_location="cpu",\n)\n'),
      'import torch\nm = torch.load(\n    p,\n    map_location="cpu",\n    weights_only=True,\n)\n',
    );
    assert.equal(
      fix('import torch\nm = torch.load(\n    p,\n    map_location="cpu"\n)\n'),
      'import torch\nm = torch.load(\n    p,\n    map_location="cpu",\n    weights_only=True\n)\n',
    );
    assert.equal(fix('import torch\nm = torch.load(p, weights_only=False)\n'), 'import torch\nm = torch.load(p, weights_only=True)\n');
  });

  it('rewrites yaml.load to safe_load or passes SafeLoader', () => {
    assert.equal(fix('import yaml\nc = yaml.load(f)\n'), 'import yaml\nc = yaml.safe_load(f)\n');
    assert.equal(fix('import yaml\nc = yaml.load(f)\n', /Loader=/), 'import yaml\nc = yaml.load(f, Loader=yaml.SafeLoader)\n');
    assert.equal(fix('import yaml\nc = yaml.load(f, Loader=yaml.Loader)\n'), 'import yaml\nc = yaml.load(f, Loader=yaml.SafeLoader)\n');
    assert.equal(fix('import yaml\nc = yaml.unsafe_load_all(f)\n'), 'import yaml\nc = yaml.safe_load_all(f)\n');
  });

  it('marks the behaviour-changing fixes unsafe', () => {
    const np = only('import numpy as np\na = np.load(p, allow_pickle=True)\n');
    assert.deepEqual(np.fixes.map((x) => x.safety), ['unsafe']);
    const keras = only('import keras\nm = keras.models.load_model(p, safe_mode=False)\n');
    assert.equal(applyEdits('import keras\nm = keras.models.load_model(p, safe_mode=False)\n', keras.fixes[0].edits), 'import keras\nm = keras.models.load_model(p)\n');
    assert.equal(keras.fixes[0].safety, 'unsafe');
    const torch = only('import torch\nm = torch.load(p)\n');
    assert.equal(torch.fixes[0].safety, 'safe');
  });

  it('turns a shell command string into a list', () => {
    assert.equal(
      fix('import subprocess\nsubprocess.run(f"python train.py --lr {lr} --out={out}", shell=True, check=True)\n'),
      'import subprocess\nsubprocess.run(["python", "train.py", "--lr", str(lr), f"--out={out}"], check=True)\n',
    );
    assert.equal(
      fix('import os\nimport subprocess\nsubprocess.run(cmd, shell=True)\n'),
      'import shlex\nimport os\nimport subprocess\nsubprocess.run(shlex.split(cmd))\n',
    );
    // Pipes and quotes need a shell: no list rewrite is offered.
    assert.deepEqual(only('import subprocess\nsubprocess.run(f"cat {p} | wc -l", shell=True)\n').fixes, []);
  });
});

describe('textual pre-check', () => {
  /** Last segments of the callees of a rule that only checks named calls. */
  const members = (r: (typeof RULES)[number]) =>
    r.check && !r.anyCall && !r.checkNode && r.calls?.length ? r.calls.map((q) => q.slice(q.lastIndexOf('.') + 1)) : undefined;
  /** Ids of the rules the pre-check lets through for `text`. */
  const ids = (text: string) => triggeredRules(text, RULES).map((r) => r.meta.id);

  it('needs a callee name as well as a trigger for rules that only check named calls', () => {
    assert.ok(!ids('import torch\nx = torch.zeros(3)\n').includes('TL108'));
    assert.ok(ids('import torch\nx = torch.load(p)\n').includes('TL108'));
    assert.ok(ids('from torch import load as l\nx = l(p)\n').includes('TL108'));
  });

  it('reads eval, exec and compile as builtins only when written on their own', () => {
    assert.ok(!ids('import re, torch\nmodel.eval()\nf = torch.compile(f)\nr = re.compile("a")\n').includes('TL201'));
    assert.ok(ids('x = eval(s)\n').includes('TL201'));
    assert.ok(ids('run = exec\nrun(s)\n').includes('TL201'));
    assert.ok(ids('import builtins\nbuiltins.eval(s)\n').includes('TL201'));
  });

  it('counts `input` as a source only where the builtin is called', () => {
    assert.ok(!ids('import os\ndef forward(self, input):\n    return open(os.path.join(d, input))\n').includes('TL901'));
    assert.ok(ids('import os\nname = input("file? ")\nopen(os.path.join(d, name))\n').includes('TL901'));
    assert.ok(ids('import os\nask = input\nopen(os.path.join(d, ask()))\n').includes('TL901'));
    assert.ok(ids('import os, builtins\nname = builtins.input()\nopen(os.path.join(d, name))\n').includes('TL901'));
  });

  it('agrees with a naive substring test, overlapping words included', () => {
    const words = [...new Set(RULES.flatMap((r) => [...r.triggers, ...(r.requires ?? []), ...(members(r) ?? [])]))];
    const naive = (text: string) =>
      RULES.filter(
        (r) =>
          r.triggers.some((t) => text.includes(t)) &&
          (!r.requires || r.requires.some((t) => text.includes(t))) &&
          (!members(r) || members(r)!.some((m) => text.includes(m))) &&
          (!members(r) || !r.calls!.every((q) => q.startsWith('builtins.')) || text.includes('builtins') ||
            members(r)!.some((m) => new RegExp(`(?<![\\w.])${m}(?!\\w)`).test(text))) &&
          (r.needsTaint !== 'any' || !r.requires || r.requires.some((t) => t !== 'input' && text.includes(t)) || /(?<![\w.])input\s*\(/.test(text) || text.includes('builtins')),
      ).map((r) => r.meta.id);
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let i = 0; i < 2000; i++) {
      // Glue pieces of trigger words together so that words overlap and hide inside each other.
      let text = '';
      for (let j = 0, n = 1 + rand(6); j < n; j++) {
        const w = words[rand(words.length)];
        text += rand(3) === 0 ? w.slice(rand(w.length)) : w;
        if (rand(2)) text += ' ';
      }
      assert.deepEqual(triggeredRules(text, RULES).map((r) => r.meta.id), naive(text), JSON.stringify(text));
    }
  });
});

describe('cheap tests in front of the credential rule', () => {
  const classes: SecretClass[] = ['password', 'secret', 'key', 'token', 'weak-token', 'auth-header'];
  it('let through every value credentialValue accepts for some name', () => {
    const alphabet = 'aZ9_-./:@!$xQ7kLmN0bc';
    let seed = 11;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      let v = rand(4) === 0 ? ['Bearer ', 'token ', 'Basic '][rand(3)] : '';
      for (let j = 0, n = rand(40); j < n; j++) v += alphabet[rand(alphabet.length)];
      if (!classes.some((c) => credentialValue(v, c) !== undefined)) continue;
      accepted++;
      for (const quoted of [`"${v}"`, `'${v}'`, `f"${v}"`, `"""${v}"""`, `rb'${v}'`]) assert.ok(mayHoldCredential(quoted), quoted);
    }
    assert.ok(accepted > 100, `only ${accepted} random values were accepted`);
  });

  it('keep the literals the rule never reports out', () => {
    for (const raw of ['"cpu"', '"weight"', '"""A docstring with words."""', '"a b c d e f"', "'aaaaaaaa'"]) assert.equal(mayHoldCredential(raw), false, raw);
    assert.equal(mayEmbedCredential('"postgresql://user:pw@db/x"'), true);
    assert.equal(mayEmbedCredential('"https://x.org/?api_key=abc"'), true);
    assert.equal(mayEmbedCredential('"https://x.org/path"'), false);
  });
});

describe('scopes', () => {
  let engine: Engine;
  before(async () => {
    engine = await getEngine();
  });

  it('lets an assignment in the body shadow a parameter from there on', () => {
    const text = 'import os\ndef f(path):\n    before = path\n    path = os.path.basename(path)\n    return path\n';
    const tree = engine.parse(text);
    try {
      const index = buildScopes(tree);
      const at = (needle: string) => text.indexOf(needle) + needle.length - 1;
      const scope = scopeAt(index, at('return path'));
      assert.equal(scope.lookup('path', at('return path'))?.kind, 'assign');
      assert.equal(scope.lookup('path', at('before = path'))?.kind, 'opaque');
      assert.equal(scope.own('path', undefined)?.kind, 'assign');
    } finally {
      tree.delete();
    }
  });
});
