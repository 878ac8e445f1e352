/**
 * Workspace scans: `threatlens/scanWorkspace` behind a cancellable progress notification that
 * shows the server's work-done progress, and the list of files git reports as changed.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient, WorkDoneProgress } from 'vscode-languageclient/node';
import { SCAN_WORKSPACE_REQUEST, type ScanWorkspaceParams, type ScanWorkspaceResult } from '../../server/src/protocol';
import { isScannablePath, parsePorcelainZ, plural } from './explorer/model';

export interface ScanOptions {
  /** Only these files. */
  uris?: vscode.Uri[];
  /** Where the progress shows (default: a notification with a Cancel button). */
  location?: vscode.ProgressLocation;
  /** Show the summary message at the end (default true). */
  announce?: boolean;
}

let tokens = 0;

export class Scanner {
  private running: Promise<ScanWorkspaceResult> | undefined;

  constructor(
    private readonly getClient: () => LanguageClient | undefined,
    private readonly ready: () => Promise<void>,
    /** `WorkDoneProgress.type`, from the lazily loaded language-client bundle. */
    private readonly workDoneType: () => typeof WorkDoneProgress.type,
  ) {}

  get scanning(): boolean {
    return this.running !== undefined;
  }

  /** Runs a scan (or joins the one running) and resolves with the server's result. */
  scan(options: ScanOptions = {}): Promise<ScanWorkspaceResult> {
    this.running ??= this.run(options).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(options: ScanOptions): Promise<ScanWorkspaceResult> {
    await this.ready();
    const client = this.getClient();
    if (!client || !client.isRunning()) throw new Error('the ThreatLens server is not running');
    const what = options.uris ? plural(options.uris.length, 'changed file') : 'the workspace';
    const result = await vscode.window.withProgress(
      {
        location: options.location ?? vscode.ProgressLocation.Notification,
        title: `ThreatLens: scanning ${what}`,
        cancellable: true,
      },
      async (progress, cancel) => {
        const workDoneToken = `threatlens-scan-${process.pid}-${++tokens}`;
        let last = 0;
        const sub = client.onProgress(this.workDoneType(), workDoneToken, (value) => {
          if (value.kind === 'end') return;
          const pct = typeof value.percentage === 'number' ? Math.max(0, Math.min(100, value.percentage)) : undefined;
          const increment = pct !== undefined && pct > last ? pct - last : undefined;
          if (pct !== undefined) last = Math.max(last, pct);
          progress.report({ ...(value.message ? { message: value.message } : {}), ...(increment ? { increment } : {}) });
        });
        try {
          const params: ScanWorkspaceParams = { workDoneToken };
          if (options.uris) params.uris = options.uris.map((u) => u.toString());
          return await client.sendRequest<ScanWorkspaceResult>(SCAN_WORKSPACE_REQUEST, params, cancel);
        } finally {
          sub.dispose();
        }
      },
    );
    if (options.announce !== false) announce(result);
    return result;
  }
}

function announce(r: ScanWorkspaceResult): void {
  const errors = r.errors ? ` (${plural(r.errors, 'file')} could not be read)` : '';
  const text = r.cancelled
    ? `ThreatLens: scan cancelled after ${plural(r.files, 'file')}: ${plural(r.findings, 'finding')} so far${errors}.`
    : `ThreatLens: scanned ${plural(r.files, 'file')}: ${plural(r.findings, 'finding')}${errors}.`;
  const show = 'Show Findings';
  void vscode.window.showInformationMessage(text, ...(r.findings ? [show] : [])).then((choice) => {
    if (choice === show) void vscode.commands.executeCommand('threatlens.findings.focus');
  });
}

// ---------------------------------------------------------------------------------------------
// Changed files
// ---------------------------------------------------------------------------------------------

/** The few parts of the built-in git extension's API (version 1) used here. */
interface GitChange {
  readonly uri: vscode.Uri;
  readonly renameUri?: vscode.Uri;
  readonly status: number;
}
interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: {
    readonly workingTreeChanges: GitChange[];
    readonly indexChanges: GitChange[];
    readonly untrackedChanges?: GitChange[];
  };
}
interface GitApi {
  readonly repositories: GitRepository[];
}
interface GitExtension {
  getAPI(version: 1): GitApi;
}

/** git extension Status values of deleted files (INDEX_DELETED, DELETED); changeFiles also drops files that are gone. */
const DELETED = new Set([2, 6]);

async function fromGitExtension(): Promise<vscode.Uri[] | undefined> {
  const ext = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!ext) return undefined;
  try {
    const exports = ext.isActive ? ext.exports : await ext.activate();
    const api = exports?.getAPI(1);
    if (!api || api.repositories.length === 0) return undefined;
    const out = new Map<string, vscode.Uri>();
    for (const repo of api.repositories) {
      const { workingTreeChanges, indexChanges, untrackedChanges = [] } = repo.state;
      for (const c of [...workingTreeChanges, ...indexChanges, ...untrackedChanges]) {
        if (DELETED.has(c.status)) continue;
        const uri = c.renameUri ?? c.uri;
        out.set(uri.toString(), uri);
      }
    }
    return [...out.values()];
  } catch {
    return undefined;
  }
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // fsmonitor would run a program named in the repository's config: never in a scan.
    execFile('git', ['-c', 'core.fsmonitor=false', ...args], { cwd, maxBuffer: 32 * 1024 * 1024, timeout: 30_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

/** `git status --porcelain -z` in each local workspace folder (trusted workspaces only). */
async function fromGitCli(): Promise<vscode.Uri[] | undefined> {
  if (!vscode.workspace.isTrusted) return undefined;
  const out = new Map<string, vscode.Uri>();
  let anyRepo = false;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    try {
      const top = (await git(folder.uri.fsPath, ['rev-parse', '--show-toplevel'])).trim();
      const status = await git(folder.uri.fsPath, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
      anyRepo = true;
      for (const rel of parsePorcelainZ(status)) {
        const uri = vscode.Uri.file(path.join(top, rel));
        out.set(uri.toString(), uri);
      }
    } catch {
      // Not a git repository, or git is not installed.
    }
  }
  return anyRepo ? [...out.values()] : undefined;
}

/**
 * The changed and untracked files that ThreatLens analyses, inside the workspace folders; undefined
 * when no workspace folder is in a git repository (or git is not available).
 */
export async function changedFiles(): Promise<vscode.Uri[] | undefined> {
  const all = (await fromGitExtension()) ?? (await fromGitCli());
  if (!all) return undefined;
  const candidates = all.filter((u) => isScannablePath(u.path) && vscode.workspace.getWorkspaceFolder(u) !== undefined);
  const exists = await Promise.all(
    candidates.map((u) =>
      vscode.workspace.fs.stat(u).then(
        (s) => (s.type & vscode.FileType.File) !== 0,
        () => false,
      ),
    ),
  );
  return candidates.filter((_, i) => exists[i]);
}
