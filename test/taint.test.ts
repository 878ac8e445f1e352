/**
 * Taint tracking end to end: where untrusted data enters, how far it flows, what stops it, and
 * what findings say about it (critical severity, the source in the message, related information
 * pointing at the source line). The dataflow corpus is checked here as well: its `<- NAME`
 * markers name the `# source: NAME` line a finding must point at.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { AnalysisOptions, Engine, Finding } from '../server/src/engine';
import { CORPUS, getEngine, py } from './helpers';

let engine: Engine;
before(async () => {
  engine = await getEngine();
});

function findings(text: string, options?: AnalysisOptions): Finding[] {
  return engine.analyze(text, options, true).findings;
}

/** The single finding of `rule` on 1-based `line`. */
function at(text: string, rule: string, line: number, options?: AnalysisOptions): Finding {
  const found = findings(text, options).filter((f) => f.ruleId === rule && f.range.start.line === line - 1);
  assert.equal(found.length, 1, `expected one ${rule} on line ${line}, got ${JSON.stringify(findings(text, options).map((f) => `${f.range.start.line + 1}:${f.ruleId}`))}`);
  return found[0];
}

/** 1-based line of the related information of a finding (the source), or undefined. */
function sourceLine(f: Finding): number | undefined {
  return f.related[0] ? f.related[0].range.start.line + 1 : undefined;
}

/** `line:rule:severity` of every finding, for compact comparisons. */
function summary(text: string, options?: AnalysisOptions): string[] {
  return findings(text, options).map((f) => `${f.range.start.line + 1}:${f.ruleId}:${f.severity}`);
}

describe('taint: critical findings that point at the source', () => {
  it('raises tainted deserialization to critical with the source line as related information', () => {
    const text = py`
      import base64, pickle
      from flask import Flask, request
      app = Flask(__name__)

      @app.post("/predict")
      def predict():
          payload = request.get_json()
          blob = base64.b64decode(payload["features"])
          return pickle.loads(blob)
    `;
    const f = at(text, 'TL101', 9);
    assert.equal(f.severity, 'critical');
    assert.equal(sourceLine(f), 7);
    assert.match(f.message, /request data from the Flask `request\.get_json` \(line 7\)/);
    assert.equal(f.related[0].message, 'request data enters here');
  });

  it('names FastAPI upload parameters, streamlit uploads, gradio inputs and input() in the message', () => {
    const fastapi = py`
      import torch
      from fastapi import FastAPI, UploadFile
      app = FastAPI()

      @app.post("/load")
      async def load(ckpt: UploadFile):
          return torch.load(ckpt.file)
    `;
    const f1 = at(fastapi, 'TL108', 7);
    assert.equal(f1.severity, 'critical');
    assert.match(f1.message, /an uploaded file from the FastAPI route parameter `ckpt` \(line 6\)/);

    const streamlit = py`
      import pickle
      import streamlit as st
      up = st.file_uploader("model")
      model = pickle.load(up)
    `;
    const f2 = at(streamlit, 'TL101', 4);
    assert.equal(f2.severity, 'critical');
    assert.match(f2.message, /an uploaded file from a streamlit file upload \(line 3\)/);

    const gradio = py`
      import gradio as gr

      def calc(expression):
          return eval(expression)

      gr.Interface(fn=calc, inputs="text", outputs="text")
    `;
    const f3 = at(gradio, 'TL201', 4);
    assert.equal(f3.severity, 'critical');
    assert.match(f3.message, /user input from the gradio function parameter `expression` \(line 3\)/);

    const cli = py`
      import subprocess
      name = input("run name: ")
      subprocess.run("tensorboard --logdir runs/" + name, shell=True)
    `;
    const f4 = at(cli, 'TL203', 3);
    assert.equal(f4.severity, 'critical');
    assert.match(f4.message, /`input\(\)` \(line 2\)/);
  });

  it('leaves untainted findings at their normal severity, without related information', () => {
    const text = py`
      import pickle
      def restore(path):
          with open(path, "rb") as fh:
              return pickle.load(fh)
    `;
    const f = at(text, 'TL101', 4);
    assert.equal(f.severity, 'high');
    assert.deepEqual(f.related, []);
  });

  it('follows taint across Jupyter-style cells (consecutive module code)', () => {
    const text = py`
      # %%
      import torch

      # %%
      checkpoint = input("checkpoint: ")
      resume = checkpoint.strip()

      # %%
      state = torch.load(resume, map_location="cpu")
    `;
    const f = at(text, 'TL108', 9);
    assert.equal(f.severity, 'critical');
    assert.equal(sourceLine(f), 5);
  });

  it('follows taint across the cells of an .ipynb notebook and notes the source cell', () => {
    const cell = (src: string) => ({ cell_type: 'code', metadata: {}, outputs: [], execution_count: null, source: src.split(/(?<=\n)/) });
    const nb = JSON.stringify({
      cells: [cell('import pickle\n'), cell('blob_path = input("pickle to inspect: ")\n'), cell('x = 1\nobj = pickle.load(open(blob_path, "rb"))\n')],
      metadata: { kernelspec: { language: 'python', name: 'python3' } },
      nbformat: 4,
      nbformat_minor: 5,
    });
    const r = engine.analyzeNotebook(nb);
    const traversal = r.findings.find((f) => f.ruleId === 'TL901');
    assert.ok(traversal, JSON.stringify(r.findings.map((f) => f.ruleId)));
    assert.equal(traversal.cell, 3);
    assert.equal(traversal.range.start.line, 1);
    assert.equal(traversal.severity, 'low', 'console input is low for the untrusted-input rules');
    assert.equal(traversal.related[0].cell, 2);
    assert.match(traversal.related[0].message, /\(cell 2\)/);
  });
});

describe('taint: validation and sanitizers keep findings non-critical', () => {
  it('stops at int(), float(), basename and secure_filename', () => {
    const text = py`
      import os, pickle, subprocess
      from flask import Flask, request
      from werkzeug.utils import secure_filename
      app = Flask(__name__)

      @app.post("/x")
      def x():
          n = int(request.args["n"])
          subprocess.run(f"head -n {n} data.csv", shell=True)
          name = os.path.basename(request.args["name"])
          eval("metrics." + name)
          safe = secure_filename(request.files["f"].filename)
          return pickle.load(open(os.path.join("uploads", safe), "rb"))
    `;
    assert.deepEqual(summary(text), ['9:TL203:high', '11:TL201:high', '13:TL101:high']);
  });

  it('honours allow-list checks before the use and around it', () => {
    const text = py`
      import pickle
      from flask import Flask, abort, request
      app = Flask(__name__)
      ALLOWED = {"a.pkl", "b.pkl"}

      @app.post("/x")
      def x():
          name = request.args["name"]
          if name not in ALLOWED:
              abort(400)
          first = pickle.loads(name)
          return first

      @app.post("/y")
      def y():
          name = request.args["name"]
          if name in ALLOWED:
              return pickle.loads(name)
          return pickle.loads(name)
    `;
    assert.deepEqual(summary(text), ['11:TL101:high', '18:TL101:high', '19:TL101:critical']);
  });

  it('treats Literal, Enum, numbers, Depends and validating pydantic fields as validated, but not str fields', () => {
    const text = py`
      import subprocess
      from enum import Enum
      from typing import Literal
      from fastapi import Depends, FastAPI
      from pydantic import BaseModel, Field
      app = FastAPI()

      class Job(BaseModel):
          epochs: int
          tier: Literal["small", "large"]
          tag: str = Field(pattern=r"^[a-z0-9-]+$")
          name: str

      class Mode(str, Enum):
          fast = "fast"

      def settings():
          return "cfg"

      @app.post("/run")
      def run(job: Job, mode: Mode, kind: Literal["a", "b"], n: int, cfg: str = Depends(settings), raw: str = ""):
          subprocess.run(f"train {job.epochs} {job.tier} {job.tag} {mode} {kind} {n} {cfg}", shell=True)
          subprocess.run(f"train {raw}", shell=True)
          subprocess.run(f"train {job.name}", shell=True)
    `;
    assert.deepEqual(summary(text), ['22:TL203:high', '23:TL203:critical', '24:TL203:critical']);
  });

  it('keeps a lookup in a fixed mapping clean, but not its fallback to the raw key', () => {
    const text = py`
      import subprocess
      from flask import Flask, request
      app = Flask(__name__)
      TOOLS = {"lint": "ruff check .", "test": "pytest -q"}

      @app.post("/x")
      def x():
          key = request.args["tool"]
          subprocess.run(TOOLS[key], shell=True)
          subprocess.run(TOOLS.get(key, "true"), shell=True)
          subprocess.run(TOOLS.get(key, key), shell=True)
    `;
    // Line 9 is not even dynamic for TL203: it is one of the author's commands.
    assert.deepEqual(summary(text), ['10:TL203:high', '11:TL203:critical']);
  });

  it('does not let the condition of a conditional expression taint its result', () => {
    const text = py`
      import subprocess
      from flask import Flask, request
      app = Flask(__name__)

      @app.post("/x")
      def x():
          cmd = "make fast" if request.args.get("fast") else "make all"
          subprocess.run(cmd, shell=True)
          other = request.args["cmd"] if request.args.get("raw") else "make"
          subprocess.run(other, shell=True)
    `;
    assert.deepEqual(summary(text), ['8:TL203:high', '10:TL203:critical']);
  });

  it('only trusts gradio choice, number and state components', () => {
    const text = py`
      import subprocess
      import gradio as gr

      def run(choice, custom, amount, state, text):
          subprocess.run(f"job {choice} {amount} {state}", shell=True)
          subprocess.run(f"job {custom}", shell=True)
          subprocess.run(f"job {text}", shell=True)

      with gr.Blocks() as demo:
          pick = gr.Dropdown(["a", "b"])
          free = gr.Dropdown(["a", "b"], allow_custom_value=True)
          n = gr.Slider(1, 10)
          s = gr.State()
          t = gr.Textbox()
          gr.Button("Go").click(run, inputs=[pick, free, n, s, t], outputs=None)
    `;
    assert.deepEqual(summary(text), ['5:TL203:high', '6:TL203:critical', '7:TL203:critical']);
  });
});

describe('taint: propagation', () => {
  it('follows augmented assignments, with-statements and loops', () => {
    const text = py`
      import io, pickle, subprocess
      from flask import Flask, request
      app = Flask(__name__)

      @app.post("/x")
      def x():
          cmd = "convert"
          cmd += " " + request.form["args"]
          subprocess.run(cmd, shell=True)
          with io.BytesIO(request.data) as buf:
              obj = pickle.load(buf)
          for f in request.files.getlist("parts"):
              pickle.load(f)
    `;
    assert.deepEqual(summary(text), ['9:TL203:critical', '11:TL101:critical', '13:TL101:critical']);
  });

  it('keeps the server side of a FastAPI request object clean', () => {
    const text = py`
      import torch
      from fastapi import FastAPI, Request
      app = FastAPI()

      @app.post("/reload")
      async def reload(request: Request):
          state = torch.load(request.app.state.checkpoint_path)
          other = torch.load(request.query_params["path"])
          return len(state) + len(other)
    `;
    assert.deepEqual(summary(text), ['7:TL108:medium', '8:TL108:critical']);
  });

  it('registers Starlette Route endpoints as request handlers', () => {
    const text = py`
      import pickle
      from starlette.applications import Starlette
      from starlette.routing import Route

      async def restore(request):
          return pickle.loads(await request.body())

      async def helper(request):
          return pickle.loads(await request.body())

      app = Starlette(routes=[Route("/restore", restore, methods=["POST"])])
    `;
    const f = at(text, 'TL101', 6);
    assert.equal(f.severity, 'critical');
    assert.match(f.message, /the Starlette route parameter `request`/);
    assert.equal(at(text, 'TL101', 9).severity, 'high');
  });
});

describe('untrusted-input rules', () => {
  const only = (ids: string[]): AnalysisOptions => ({ selectedRules: ids });

  it('report at the sink with the source in the message and a related entry', () => {
    const text = py`
      import os
      from flask import Flask, request
      app = Flask(__name__)

      @app.get("/files")
      def files():
          name = request.args["name"]
          with open(os.path.join("data", name)) as fh:
              return fh.read()
    `;
    const f = at(text, 'TL901', 8);
    assert.equal(f.severity, 'high');
    assert.match(f.message, /request data \(the Flask `request\.args`, line 7\)/);
    assert.equal(sourceLine(f), 7);
    assert.equal(f.fixes[0]?.safety, 'unsafe');
  });

  it('skip LLM output (another rule reports model text in paths and SQL)', () => {
    const text = py`
      import sqlite3
      from openai import OpenAI
      client = OpenAI()
      answer = client.chat.completions.create(model="gpt-4o", messages=[]).choices[0].message.content
      conn = sqlite3.connect("x.db")
      conn.execute(f"SELECT * FROM t WHERE name = '{answer}'")
      open(answer)
    `;
    assert.deepEqual(summary(text, only(['TL901', 'TL902', 'TL903', 'TL904'])), []);
  });

  it('report console input as low and client input as high', () => {
    const text = py`
      import sqlite3
      from flask import Flask, request
      app = Flask(__name__)
      conn = sqlite3.connect("x.db")
      team = input("team: ")
      conn.execute(f"SELECT * FROM scores WHERE team = '{team}'")

      @app.get("/x")
      def x():
          return conn.execute(f"SELECT * FROM scores WHERE team = '{request.args['team']}'").fetchall()
    `;
    assert.deepEqual(summary(text, only(['TL903'])), ['6:TL903:low', '10:TL903:high']);
  });

  it('stay silent on fixed hosts and report hosts the client can reach', () => {
    const text = py`
      import requests
      from flask import Flask, request
      app = Flask(__name__)
      BASE = "https://api.example.com"

      @app.get("/x")
      def x():
          item = request.args["item"]
          requests.get(f"https://api.example.com/items/{item}", timeout=5)
          requests.get(BASE + "/items/" + item, timeout=5)
          requests.get("https://api.example.com/search?q=" + item, timeout=5)
          requests.get(BASE + item, timeout=5)
          requests.get(f"https://{item}/", timeout=5)
          requests.get(item, timeout=5)
    `;
    assert.deepEqual(summary(text, only(['TL902'])), ['12:TL902:high', '13:TL902:high', '14:TL902:high']);
  });

  it('raise a client-chosen model with trust_remote_code=True to critical', () => {
    const text = py`
      from fastapi import FastAPI
      from transformers import AutoModel
      app = FastAPI()

      @app.post("/load")
      def load(repo: str):
          a = AutoModel.from_pretrained(repo)
          b = AutoModel.from_pretrained(repo, trust_remote_code=True)
    `;
    assert.deepEqual(summary(text, only(['TL904'])), ['7:TL904:high', '8:TL904:critical']);
  });
});

describe('dataflow corpus markers', () => {
  const dir = path.join(CORPUS, 'dataflow');
  const files = fs.readdirSync(dir).filter((n) => n.startsWith('positive') && n.endsWith('.py'));

  it('has positive and negative files', () => {
    assert.ok(files.length >= 4);
    assert.ok(fs.readdirSync(dir).some((n) => n.startsWith('negative')));
  });

  for (const name of files) {
    it(`${name}: every finding marked with a source points at it, the others carry no taint`, () => {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      const lines = text.split('\n');
      const sources = new Map<string, number>();
      lines.forEach((l, i) => {
        const m = /#\s*source:\s*(\w+)/.exec(l);
        if (m) sources.set(m[1], i);
      });
      const all = findings(text);
      let checked = 0;
      lines.forEach((l, i) => {
        const m = /#\s*expect:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)(?:\s*<-\s*(\w+))?/.exec(l);
        if (!m) return;
        for (const id of m[1].split(',').map((s) => s.trim())) {
          const f = all.find((x) => x.ruleId === id && x.range.start.line === i);
          assert.ok(f, `${name}:${i + 1} no ${id}`);
          const where = `${name}:${i + 1} ${id}`;
          if (m[2]) {
            const src = sources.get(m[2]);
            assert.ok(src !== undefined, `${where}: no "# source: ${m[2]}" line`);
            assert.equal(f.related[0]?.range.start.line, src, `${where}: related information should point at line ${src + 1}`);
            if (/^TL[12]\d\d$/.test(id)) assert.equal(f.severity, 'critical', `${where} should be critical`);
          } else {
            assert.deepEqual(f.related, [], `${where} should carry no taint`);
            assert.notEqual(f.severity, 'critical', `${where} should not be critical`);
          }
          checked++;
        }
      });
      assert.ok(checked > 0);
    });
  }
});

describe('taint through tuple unpacking', () => {
  it('follows each unpacked part of a tainted value', async () => {
    const engine = await getEngine();
    const text = [
      'import subprocess',
      'from flask import Flask, request',
      'app = Flask(__name__)',
      '@app.route("/run")',
      'def run():',
      '    tool, _, args = request.args["cmd"].partition(" ")',
      '    subprocess.run(tool + " " + args, shell=True)',
      '',
    ].join('\n');
    const f = engine.analyze(text).findings.find((x) => x.ruleId === 'TL203');
    assert.ok(f, 'TL203 reported');
    assert.equal(f.severity, 'critical');
    assert.equal(f.related[0]?.range.start.line, 5);
  });
});

describe('taint through helpers and guarded fields', () => {
  it('follows LLM output returned by a helper defined in the same file', async () => {
    const engine = await getEngine();
    const text = [
      'import subprocess',
      'from openai import OpenAI',
      'client = OpenAI()',
      'def ask(q):',
      '    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])',
      '    return resp.choices[0].message.content',
      'cmd = ask("one shell command please")',
      'subprocess.run(cmd, shell=True)',
      '',
    ].join('\n');
    assert.deepEqual(engine.analyze(text).findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`), ['8:TL701']);
  });

  it('treats an allow-list check on a body field like one on a plain name', async () => {
    const engine = await getEngine();
    const text = [
      'from fastapi import FastAPI',
      'from pydantic import BaseModel',
      'app = FastAPI()',
      'TEAMS = {"red", "blue"}',
      'class Q(BaseModel):',
      '    team: str',
      '@app.post("/r")',
      'def r(q: Q):',
      '    open(f"/srv/{q.team}.md").read()',
      '    if q.team not in TEAMS:',
      '        raise ValueError(q.team)',
      '    open(f"/srv/{q.team}.md").read()',
      '',
    ].join('\n');
    assert.deepEqual(engine.analyze(text).findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`), ['9:TL901']);
  });
});
