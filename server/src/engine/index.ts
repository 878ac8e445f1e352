/**
 * The ThreatLens engine: parse Python, resolve names, run the rules. No editor or LSP import here.
 */
import { analyzeTree, EMPTY_RESULT, enabledRules, triggeredRules } from './analyze';
import { getParser, type ParserAssets, type PythonParser, type Tree } from './parser';
import { mapNotebookFindings, notebookProgram, type NotebookProgram } from './notebook';
import type { AnalysisOptions, AnalysisResult } from './types';

export * from './types';
export { NotebookError, cellOfLine, mapNotebookFindings, notebookProgram, stripMagics, type NotebookCell, type NotebookProgram } from './notebook';
export { applyEdits, lineStarts } from './edits';
export { RULES, getRule } from './registry';
export type { Rule } from './rule';
export { analyzeTree, enabledRules, triggeredRules } from './analyze';
export type { Edit, Tree } from './parser';

export class Engine {
  private constructor(readonly parser: PythonParser) {}

  /** Creates an engine; the parser and grammar are loaded once per process and shared. */
  static async create(assets?: ParserAssets): Promise<Engine> {
    return new Engine(await getParser(assets));
  }

  parse(text: string, oldTree?: Tree | null): Tree {
    return this.parser.parse(text, oldTree);
  }

  /**
   * Analyses a source text. Files that mention nothing any enabled rule looks at are not parsed
   * (pass `parseAlways` to get syntax errors for them too).
   */
  analyze(text: string, options: AnalysisOptions = {}, parseAlways = false): AnalysisResult {
    const rules = triggeredRules(text, enabledRules(options));
    if (rules.length === 0 && !parseAlways) return { ...EMPTY_RESULT };
    const tree = this.parse(text);
    try {
      return analyzeTree(tree, text, options, rules);
    } finally {
      tree.delete();
    }
  }

  /**
   * Analyses a Jupyter notebook (.ipynb JSON) as one program made of its code cells in order.
   * Findings carry their cell and cell-relative ranges. Throws NotebookError for invalid notebooks.
   */
  analyzeNotebook(json: string, options: AnalysisOptions = {}): AnalysisResult & { program: NotebookProgram } {
    const program = notebookProgram(json);
    const result = this.analyze(program.text, options);
    return { ...result, findings: mapNotebookFindings(program, result.findings), program };
  }
}
export { findingHover, linkLine, ruleMarkdown, stagesOf, techniquesOf, threatsOf } from './describe';
export { getGraph, STAGES, ThreatGraph, type EdgeKind, type GraphEdge, type GraphNode, type NodeKind } from './graph';
