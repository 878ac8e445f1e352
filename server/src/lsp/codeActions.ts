/**
 * Code actions for ThreatLens diagnostics: the rule's fixes, an "ignore on this line" comment, the
 * rule documentation, and a `source.fixAll.threatlens` action that applies every safe fix.
 */
import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { plainSnippet, type Finding, type Tree } from '../engine';
import { IGNORE_DIRECTIVE, ignoreDirective } from '../engine/suppress';
import { Commands, InternalCommands, type ApplySnippetArgs } from '../protocol';
import type { Analysis } from './documents';
import { DIAGNOSTIC_SOURCE, isDiagnosticData } from './diagnostics';
import { sameRange } from './text';

export const FIX_ALL_KIND = 'source.fixAll.threatlens';

export const UNSAFE_SUFFIX = ' (unsafe: changes behaviour)';

export interface CodeActionRequest {
  uri: string;
  /** The document as the server has it now. */
  document: TextDocument;
  /** The analysis of `document.version`, or undefined when there is none (then no fixes are offered). */
  analysis: Analysis | undefined;
  /** A tree parsed from exactly `document`'s text, when available (used to place ignore comments). */
  tree: Tree | undefined;
  /** `context.diagnostics` of the request. */
  diagnostics: readonly Diagnostic[];
  /** `context.only` of the request. */
  only: readonly string[] | undefined;
  /** The client understands versioned `documentChanges`. */
  documentChanges: boolean;
  /** The client runs `threatlens.applySnippet` (fixes with placeholders become snippets). */
  snippets?: boolean;
}

/** True when an action of `kind` was asked for: `only` absent, or naming the kind or a parent of it. */
export function kindRequested(only: readonly string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some((o) => o === '' || kind === o || kind.startsWith(o + '.'));
}

function workspaceEdit(uri: string, version: number, edits: TextEdit[], documentChanges: boolean): WorkspaceEdit {
  return documentChanges
    ? { documentChanges: [{ textDocument: { uri, version }, edits }] }
    : { changes: { [uri]: edits } };
}

function isOurs(d: Diagnostic): d is Diagnostic & { code: string } {
  return d.source === DIAGNOSTIC_SOURCE && typeof d.code === 'string';
}

/** The finding of `analysis` that a client diagnostic stands for (same rule and range). */
export function findingFor(analysis: Analysis | undefined, d: Diagnostic): Finding | undefined {
  if (!analysis || !isOurs(d)) return undefined;
  if (isDiagnosticData(d.data) && d.data.version === analysis.version) {
    const hinted = analysis.findings[d.data.index];
    if (hinted && hinted.ruleId === d.code && sameRange(hinted.range, d.range)) return hinted;
  }
  return analysis.findings.find((f) => f.ruleId === d.code && sameRange(f.range, d.range));
}

export function codeActions(req: CodeActionRequest): CodeAction[] {
  const actions: CodeAction[] = [];
  if (kindRequested(req.only, CodeActionKind.QuickFix)) {
    const ignored = new Set<string>();
    const documented = new Set<string>();
    for (const d of req.diagnostics) {
      if (!isOurs(d)) continue;
      const ruleId = d.code;
      const finding = findingFor(req.analysis, d);
      if (finding && req.analysis) actions.push(...fixActions(req, finding, d, req.analysis.version));

      const line = d.range.start.line;
      const ignoreKey = `${ruleId}@${line}`;
      if (!ignored.has(ignoreKey)) {
        ignored.add(ignoreKey);
        const edit = ignoreEdit(req.document, line, ruleId, req.tree);
        if (edit) {
          actions.push({
            title: `Ignore ${ruleId} on this line`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            edit: workspaceEdit(req.uri, req.document.version, [edit], req.documentChanges),
          });
        }
      }
      if (!documented.has(ruleId)) {
        documented.add(ruleId);
        const title = `Show documentation for ${ruleId}`;
        actions.push({
          title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          command: { title, command: Commands.showRuleDoc, arguments: [ruleId] },
        });
      }
    }
  }
  if (kindRequested(req.only, FIX_ALL_KIND)) {
    const all = fixAllAction(req);
    if (all) actions.push(all);
  }
  return actions;
}

function fixActions(req: CodeActionRequest, finding: Finding, d: Diagnostic, version: number): CodeAction[] {
  const preferred = finding.fixes.find((f) => f.safety === 'safe');
  return finding.fixes.map((fix) => {
    const action: CodeAction = {
      title: `${finding.ruleId}: ${fix.title}${fix.safety === 'unsafe' ? UNSAFE_SUFFIX : ''}`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: fix === preferred,
    };
    if (fix.snippet && req.snippets && fix.edits.length === 1) {
      // The client inserts it as a snippet, so the user types over the placeholder.
      const args: ApplySnippetArgs = { uri: req.uri, version, range: fix.edits[0].range, snippet: fix.edits[0].newText };
      action.command = { title: fix.title, command: InternalCommands.applySnippet, arguments: [args] };
    } else {
      const text = (t: string) => (fix.snippet ? plainSnippet(t) : t);
      action.edit = workspaceEdit(req.uri, version, fix.edits.map((e) => ({ range: e.range, newText: text(e.newText) })), req.documentChanges);
    }
    return action;
  });
}

// ---------------------------------------------------------------------------------------------
// Ignore comments
// ---------------------------------------------------------------------------------------------

/** The text of `line` without its line break. */
function lineText(doc: TextDocument, line: number): string {
  return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$|\r$/, '');
}

function lineBreak(doc: TextDocument): string {
  return doc.getText().includes('\r\n') ? '\r\n' : '\n';
}

/** True when the node at (`line`, `column`) of `tree` has type `type`, or lies inside one. */
function insideNode(tree: Tree | undefined, line: number, column: number, test: (type: string) => boolean): boolean {
  if (!tree) return false;
  for (let n = tree.rootNode.descendantForPosition({ row: line, column }); n; n = n.parent) {
    if (test(n.type)) return true;
  }
  return false;
}

/** True when the end of `line` is inside a string that continues on the next line. */
function endsInsideMultilineString(tree: Tree | undefined, line: number, column: number): boolean {
  if (!tree) return false;
  for (let n = tree.rootNode.descendantForPosition({ row: line, column }); n; n = n.parent) {
    if ((n.type === 'string' || n.type === 'string_content') && n.endPosition.row > line) return true;
  }
  return false;
}


/**
 * The edit that silences `ruleId` on `line`: adds the id to a `# threatlens: ignore[...]` comment
 * already on the line, or appends `  # threatlens: ignore[ID] <reason>`. When a comment cannot go
 * at the end of the line (it ends inside a multi-line string or with a `\` continuation) the
 * directive goes on the line above as `# threatlens: ignore-next-line[ID] <reason>`.
 */
export function ignoreEdit(doc: TextDocument, line: number, ruleId: string, tree?: Tree): TextEdit | undefined {
  if (line < 0 || line >= doc.lineCount) return undefined;
  const text = lineText(doc, line);

  IGNORE_DIRECTIVE.lastIndex = 0;
  for (let m = IGNORE_DIRECTIVE.exec(text); m; m = IGNORE_DIRECTIVE.exec(text)) {
    const hash = text.lastIndexOf('#', m.index);
    if (hash < 0) continue;
    if (tree && !insideNode(tree, line, m.index, (t) => t === 'comment')) continue;
    const ids = m[1].split(/[\s,]+/).filter(Boolean);
    if (ids.some((id) => id.toUpperCase() === ruleId)) return undefined;
    const close = m.index + m[0].length - 1;
    return { range: { start: { line, character: close }, end: { line, character: close } }, newText: ids.length ? `, ${ruleId}` : ruleId };
  }

  if (/\\$/.test(text) || endsInsideMultilineString(tree, line, text.length)) {
    const indent = /^[ \t]*/.exec(text)?.[0] ?? '';
    const at = { line, character: 0 };
    return { range: { start: at, end: at }, newText: `${indent}${ignoreDirective(ruleId, true)}${lineBreak(doc)}` };
  }
  const end = { line, character: text.length };
  return { range: { start: end, end }, newText: `  ${ignoreDirective(ruleId)}` };
}

// ---------------------------------------------------------------------------------------------
// Fix all
// ---------------------------------------------------------------------------------------------

interface Span {
  start: number;
  end: number;
}

function conflicts(a: Span, b: Span): boolean {
  // Overlapping ranges, or two edits at the same point (their order would be ambiguous).
  return (a.start < b.end && b.start < a.end) || a.start === b.start;
}

/**
 * One action with the preferred safe fix of every finding, leaving out fixes whose edits would
 * overlap an edit already taken. Only the first safe fix of a finding is used: alternatives (such
 * as TL109's "use safe_load" and "pass Loader=SafeLoader") are not meant to be combined.
 */
export function fixAllAction(req: CodeActionRequest): CodeAction | undefined {
  const analysis = req.analysis;
  if (!analysis) return undefined;
  const taken: Span[] = [];
  const edits: TextEdit[] = [];
  let count = 0;
  for (const finding of analysis.findings) {
    const fix = finding.fixes.find((f) => f.safety === 'safe' && !f.snippet);
    if (!fix || fix.edits.length === 0) continue;
    const spans = fix.edits.map((e) => ({ start: req.document.offsetAt(e.range.start), end: req.document.offsetAt(e.range.end) }));
    if (spans.some((s) => taken.some((t) => conflicts(s, t)))) continue;
    taken.push(...spans);
    edits.push(...fix.edits.map((e) => ({ range: e.range, newText: e.newText })));
    count++;
  }
  if (count === 0) return undefined;
  return {
    title: `ThreatLens: apply ${count} safe fix${count === 1 ? '' : 'es'}`,
    kind: FIX_ALL_KIND,
    edit: workspaceEdit(req.uri, analysis.version, edits, req.documentChanges),
  };
}
