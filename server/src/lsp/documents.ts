/**
 * Per-document state of the language server: the text (kept with `TextDocument.update`), its
 * version, the tree-sitter tree, the latest analysis, the results of recent texts and the queue
 * that schedules its analyses.
 *
 * Incremental changes are applied to the tree with `tree.edit` as they arrive; the tree is
 * re-parsed (incrementally, from the edited tree) the next time someone needs it, so a burst of
 * keystrokes costs one parse, not one per keystroke. Every tree that is replaced is deleted: trees
 * live in the wasm heap and are not garbage collected.
 *
 * Trees are big (about 1 KiB per line of Python in the wasm heap, which never shrinks), so only the
 * documents used most recently keep theirs (`DocumentStore`, `maxTrees`); the others are parsed
 * again, from scratch, when they are next edited.
 */
import { createHash } from 'node:crypto';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { AdvisoryDb, Engine, Finding, Manifest, Range, Tree } from '../engine';
import type { AnalysisQueue } from './scheduler';
import { treeEditFor } from './text';

export type { RunReason } from './scheduler';

/** What one analysis of one document version produced. */
export interface Analysis {
  version: number;
  findings: Finding[];
  timedOut: boolean;
  /** Malformed lines of a manifest. */
  problems?: { range: Range; message: string }[];
  /** The parsed manifest, for manifest documents (hovers list a requirement's advisories). */
  manifest?: Manifest;
  /** The advisory data the analysis used when it was not the bundled snapshot (online lookups). */
  advisories?: AdvisoryDb;
  /** The settings generation the analysis was made with (see `SettingsStore.generation`). */
  generation?: number;
}

/** What an analysis says about a text, whatever the version: what the result cache keeps. */
export type CachedAnalysis = Omit<Analysis, 'version'>;

/** Texts whose analysis each document remembers (undo, redo, typing then deleting). */
const RESULTS_PER_DOCUMENT = 4;

/**
 * The analyses of the last few texts of one document, keyed by the text itself (and the settings
 * generation), so going back to a text analysed before costs no analysis.
 */
export class ResultCache {
  private entries: { text: string; generation: number; result: CachedAnalysis }[] = [];

  has(text: string, generation: number): boolean {
    return this.entries.some((e) => e.generation === generation && e.text.length === text.length && e.text === text);
  }

  get(text: string, generation: number): CachedAnalysis | undefined {
    const i = this.entries.findIndex((e) => e.generation === generation && e.text.length === text.length && e.text === text);
    if (i < 0) return undefined;
    const [entry] = this.entries.splice(i, 1);
    this.entries.push(entry);
    return entry.result;
  }

  set(text: string, generation: number, result: CachedAnalysis): void {
    this.entries = this.entries.filter((e) => e.generation === generation && e.text !== text);
    this.entries.push({ text, generation, result });
    if (this.entries.length > RESULTS_PER_DOCUMENT) this.entries.shift();
  }

  clear(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }
}

/** Told when a document got a tree or used it, so only a few documents keep one. */
export interface TreeKeeper {
  treeUsed(doc: OpenDocument): void;
  treeDropped(doc: OpenDocument): void;
}

export class OpenDocument {
  private document: TextDocument;
  private tree: Tree | undefined;
  /** True when `tree` has been edited since it was parsed and must be re-parsed before use. */
  private treeEdited = false;

  /** The latest analysis published (or computed for a request) for this document. */
  analysis: Analysis | undefined;
  /** The version and settings generation whose diagnostics were last published. */
  published: { version: number; generation: number } | undefined;
  /** Analyses of recent texts. */
  readonly results = new ResultCache();
  /** Schedules this document's analyses (set by the server). */
  queue: AnalysisQueue | undefined;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    version: number,
    text: string,
    private readonly keeper?: TreeKeeper,
  ) {
    this.document = TextDocument.create(uri, languageId, version, text);
  }

  get version(): number {
    return this.document.version;
  }

  get text(): string {
    return this.document.getText();
  }

  get textDocument(): TextDocument {
    return this.document;
  }

  get hasTree(): boolean {
    return this.tree !== undefined;
  }

  /** Applies the changes of one `didChange` notification, in order. */
  applyChanges(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if ('range' in change && change.range) {
        if (this.tree) {
          this.tree.edit(treeEditFor(this.document, change.range, change.text));
          this.treeEdited = true;
        }
      } else {
        // Whole-document replacement: nothing of the old tree can be reused.
        this.dropTree();
      }
      this.document = TextDocument.update(this.document, [change], version);
    }
    // Some clients send an empty change list just to bump the version.
    if (changes.length === 0) this.document = TextDocument.update(this.document, [], version);
  }

  /** The tree for the current text: re-parsed incrementally when edited, parsed fresh when missing. */
  syncedTree(engine: Engine): Tree {
    if (this.tree && !this.treeEdited) {
      this.keeper?.treeUsed(this);
      return this.tree;
    }
    const old = this.tree;
    let fresh: Tree;
    try {
      fresh = engine.parse(this.text, old ?? null);
    } catch (err) {
      // Never retry from a tree that made the parser fail.
      this.dropTree();
      throw err;
    }
    old?.delete();
    this.tree = fresh;
    this.treeEdited = false;
    this.keeper?.treeUsed(this);
    return fresh;
  }

  /** Forgets the tree (e.g. when parsing failed, the document was replaced, or to save memory). */
  dropTree(): void {
    const had = this.tree !== undefined;
    this.tree?.delete();
    this.tree = undefined;
    this.treeEdited = false;
    if (had) this.keeper?.treeDropped(this);
  }

  cancelPending(): void {
    this.queue?.cancelPending();
  }

  dispose(): void {
    this.queue?.dispose();
    this.dropTree();
    this.analysis = undefined;
    this.results.clear();
  }
}

/** How many documents keep their tree (the most recently parsed or used ones). */
export const DEFAULT_MAX_TREES = 8;
/** Closed documents whose last result is remembered, for when they are opened again unchanged. */
const CLOSED_RESULTS = 64;

function digest(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

export class DocumentStore implements TreeKeeper {
  private readonly docs = new Map<string, OpenDocument>();
  /** Documents holding a tree, least recently used first. */
  private readonly withTrees = new Set<OpenDocument>();
  /** The last result of recently closed documents, by URI, with a digest of the text it is for. */
  private readonly closed = new Map<string, { digest: string; generation: number; result: CachedAnalysis }>();

  private readonly maxTrees: number;

  /** `maxTrees`: how many documents keep their tree (at least one: the one being analysed). */
  constructor(maxTrees = DEFAULT_MAX_TREES) {
    this.maxTrees = Number.isNaN(maxTrees) ? DEFAULT_MAX_TREES : Math.max(1, Math.floor(maxTrees));
  }

  open(uri: string, languageId: string, version: number, text: string, generation?: number): OpenDocument {
    this.docs.get(uri)?.dispose();
    const doc = new OpenDocument(uri, languageId, version, text, this);
    this.docs.set(uri, doc);
    const last = this.closed.get(uri);
    if (last) {
      this.closed.delete(uri);
      if (last.generation === generation && last.digest === digest(text)) doc.results.set(text, last.generation, last.result);
    }
    return doc;
  }

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  /**
   * Closes a document. Its result is remembered when `cacheable` says it depends on nothing but
   * the text and the settings, so opening it again unchanged needs no analysis.
   */
  close(uri: string, cacheable?: (doc: OpenDocument) => boolean): void {
    const doc = this.docs.get(uri);
    if (!doc) return;
    const a = doc.analysis;
    if (a && a.version === doc.version && a.generation !== undefined && !a.timedOut && cacheable?.(doc)) {
      const { version: _version, ...result } = a;
      this.closed.delete(uri);
      this.closed.set(uri, { digest: digest(doc.text), generation: a.generation, result });
      while (this.closed.size > CLOSED_RESULTS) this.closed.delete(this.closed.keys().next().value as string);
    }
    doc.dispose();
    this.docs.delete(uri);
  }

  all(): OpenDocument[] {
    return [...this.docs.values()];
  }

  /** Forgets every remembered result (the settings changed). */
  forgetResults(): void {
    this.closed.clear();
    for (const doc of this.docs.values()) doc.results.clear();
  }

  treeUsed(doc: OpenDocument): void {
    this.withTrees.delete(doc);
    this.withTrees.add(doc);
    while (this.withTrees.size > this.maxTrees) {
      const oldest = this.withTrees.values().next().value as OpenDocument;
      this.withTrees.delete(oldest);
      oldest.dropTree();
    }
  }

  treeDropped(doc: OpenDocument): void {
    this.withTrees.delete(doc);
  }

  /** How many documents hold a tree (for tests). */
  get trees(): number {
    return this.withTrees.size;
  }

  disposeAll(): void {
    for (const doc of this.docs.values()) doc.dispose();
    this.docs.clear();
    this.withTrees.clear();
    this.closed.clear();
  }
}
