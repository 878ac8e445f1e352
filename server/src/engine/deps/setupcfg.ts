/**
 * setup.cfg: `[options] install_requires / setup_requires / tests_require` and
 * `[options.extras_require]`. The INI lines are read here, the way setuptools' configparser sees
 * them: a key's value continues on the following indented lines.
 */
import { isProblem, parseRequirementString, span } from './pep508';
import type { Manifest, Span } from './types';

const LIST_KEYS = new Set(['install_requires', 'setup_requires', 'tests_require']);

interface Line {
  start: number;
  text: string;
}

function physicalLines(text: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  for (;;) {
    let nl = text.indexOf('\n', at);
    const last = nl < 0;
    if (last) nl = text.length;
    out.push({ start: at, text: text.slice(at, nl > at && text[nl - 1] === '\r' ? nl - 1 : nl) });
    if (last) break;
    at = nl + 1;
  }
  return out;
}

/** Strips an inline ` #` / ` ;` comment (a `;` only when followed by a blank is a marker, keep it). */
function stripInline(s: string): string {
  const m = /\s#/.exec(s);
  return m ? s.slice(0, m.index) : s;
}

/** Reads a setup.cfg. Never throws. */
export function parseSetupCfg(text: string): Manifest {
  const manifest: Manifest = { kind: 'setup-cfg', requirements: [], indexes: [], includes: [], abstract: true, problems: [] };
  try {
    let section = '';
    let key: { name: string; section: string; values: { text: string; at: number }[]; multiLine: boolean } | undefined;
    const flush = (): void => {
      if (!key) return;
      const sectionName = key.section;
      const items: { text: string; at: number }[] = [];
      for (const v of key.values) {
        if (!key.multiLine) {
          // A one-line value holds requirements separated by `;` (setuptools' rule for these keys).
          let pos = 0;
          for (const part of v.text.split(';')) {
            items.push({ text: part, at: v.at + pos });
            pos += part.length + 1;
          }
        } else items.push(v);
      }
      for (const item of items) {
        if (!item.text.trim() || item.text.trim().startsWith('#')) continue;
        const r = parseRequirementString(item.text, item.at, sectionName);
        if (isProblem(r)) manifest.problems.push(r);
        else manifest.requirements.push(r);
      }
      key = undefined;
    };
    let otherKey = false;
    for (const line of physicalLines(text)) {
      const t = line.text;
      if (/^\s*[#;]/.test(t)) continue;
      if (!t.trim()) {
        continue;
      }
      const indented = /^\s/.test(t);
      // The continuation lines of a key we do not read (`packages =` and its list).
      if (indented && !key && otherKey) continue;
      if (indented && key) {
        const body = stripInline(t);
        const lead = body.length - body.trimStart().length;
        key.values.push({ text: body.trim(), at: line.start + lead });
        key.multiLine = true;
        continue;
      }
      flush();
      otherKey = false;
      const header = /^\s*\[([^\]]+)\]/.exec(t);
      if (header) {
        section = header[1].trim().toLowerCase();
        continue;
      }
      const kv = /^([^=:]+?)\s*[=:]\s?/.exec(t);
      if (!kv) {
        if (section === 'options' || section === 'options.extras_require') {
          manifest.problems.push({ span: lineSpan(line), message: `\`${t.trim()}\` is not a \`key = value\` line.` });
        }
        continue;
      }
      const name = kv[1].trim();
      let target: string | undefined;
      if (section === 'options' && LIST_KEYS.has(name)) target = name;
      else if (section === 'options.extras_require') target = `extras_require.${name}`;
      if (!target) {
        otherKey = true;
        continue;
      }
      key = { name, section: target, values: [], multiLine: false };
      const rest = stripInline(t.slice(kv[0].length));
      if (rest.trim()) {
        const lead = rest.length - rest.trimStart().length;
        key.values.push({ text: rest.trim(), at: line.start + kv[0].length + lead });
      }
    }
    flush();
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read setup.cfg: ${(e as Error).message}` });
  }
  return manifest;
}

function lineSpan(line: Line): Span {
  const lead = line.text.length - line.text.trimStart().length;
  return span(line.start + lead, line.start + line.text.trimEnd().length);
}
