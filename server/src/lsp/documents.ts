/**
 * Per-document state of the language server: the text (kept with `TextDocument.update`), its
 * version, the tree-sitter tree and the latest analysis.
 *
 * Incremental changes are applied to the tree with `tree.edit` as they arrive; the tree is
 * re-parsed (incrementally, from the edited tree) the next time someone needs it, so a burst of
 * keystrokes costs one parse, not one per keystroke. Every tree that is replaced is deleted: trees
 * live in the wasm heap and are not garbage collected.
 */
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { AdvisoryDb, Engine, Finding, Manifest, Range, Tree } from '../engine';
import { treeEditFor } from './text';

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
}

/** Why an analysis was scheduled; `change` runs are skipped in `run: onSave` mode. */
export type RunReason = 'open' | 'change' | 'save' | 'config';

export class OpenDocument {
  private document: TextDocument;
  private tree: Tree | undefined;
  /** True when `tree` has been edited since it was parsed and must be re-parsed before use. */
  private treeEdited = false;

  /** The latest analysis published (or computed for a request) for this document. */
  analysis: Analysis | undefined;
  /** Pending debounced run. */
  timer: NodeJS.Timeout | undefined;
  pendingReason: RunReason | undefined;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    version: number,
    text: string,
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
    if (this.tree && !this.treeEdited) return this.tree;
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
    return fresh;
  }

  /** Forgets the tree (e.g. when parsing failed or the document was replaced). */
  dropTree(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.treeEdited = false;
  }

  cancelPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingReason = undefined;
  }

  dispose(): void {
    this.cancelPending();
    this.dropTree();
    this.analysis = undefined;
  }
}

export class DocumentStore {
  private readonly docs = new Map<string, OpenDocument>();

  open(uri: string, languageId: string, version: number, text: string): OpenDocument {
    this.docs.get(uri)?.dispose();
    const doc = new OpenDocument(uri, languageId, version, text);
    this.docs.set(uri, doc);
    return doc;
  }

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  close(uri: string): void {
    this.docs.get(uri)?.dispose();
    this.docs.delete(uri);
  }

  all(): OpenDocument[] {
    return [...this.docs.values()];
  }

  disposeAll(): void {
    for (const doc of this.docs.values()) doc.dispose();
    this.docs.clear();
  }
}
