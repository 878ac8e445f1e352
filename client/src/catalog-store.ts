/**
 * The threat catalog as the server describes it (`threatlens/catalog`), fetched once after the
 * server starts; the client bundle carries no catalog data of its own.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CATALOG_REQUEST, type CatalogResult } from '../../server/src/protocol';
import { indexCatalog, type CatalogIndex } from './explorer/model';

export class CatalogStore implements vscode.Disposable {
  private current: CatalogIndex | undefined;
  private loading: Promise<CatalogIndex | undefined> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the catalog has been loaded (or failed to load). */
  readonly onDidChange = this.changed.event;
  /** Why the last load failed, if it did. */
  error: string | undefined;

  get index(): CatalogIndex | undefined {
    return this.current;
  }

  /** Loads the catalog unless it already is; concurrent calls share one request. */
  load(client: LanguageClient): Promise<CatalogIndex | undefined> {
    if (this.current) return Promise.resolve(this.current);
    this.loading ??= (async () => {
      try {
        const result = await client.sendRequest<CatalogResult | null>(CATALOG_REQUEST, {});
        if (result && Array.isArray(result.threats) && Array.isArray(result.rules) && Array.isArray(result.stages)) {
          this.current = indexCatalog(result);
          this.error = undefined;
        } else {
          this.error = 'The server sent no catalog.';
        }
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
      } finally {
        this.loading = undefined;
      }
      void vscode.commands.executeCommand('setContext', 'threatlens.catalogLoaded', !!this.current);
      this.changed.fire();
      return this.current;
    })();
    return this.loading;
  }

  /** The catalog once a load in progress has finished. */
  async ready(): Promise<CatalogIndex | undefined> {
    return this.current ?? (await this.loading);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
