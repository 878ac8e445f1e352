/**
 * When the language server analyses a document (or a notebook) after something happened to it.
 *
 * One `AnalysisQueue` per document. The policy:
 *
 * - **At once when idle.** A change to a document whose recent analyses were quick
 *   (`immediateBelowMs`) is analysed right away, not after a quiet period: the reply to a
 *   keystroke costs the analysis and nothing else. Opening, saving and settings changes are always
 *   analysed right away.
 * - **Debounced when slow.** A change to a document whose recent analyses took longer waits for
 *   `debounceMs` without further changes, so a slow file is not re-analysed on every keystroke
 *   (unless the run needs no analysis: a text whose result is cached).
 * - **Coalesced.** "Right away" first lets the server handle every message that is already
 *   waiting: it yields to the event loop until one whole turn passed without another change to
 *   the document. Edits that piled up (typing during a long analysis, a client that sends many
 *   changes at once) therefore cost one analysis, of the latest text. A request made while a run is
 *   in progress is remembered and run once more after it (trailing edge), never in parallel.
 *
 * The queue knows nothing about LSP or the engine: the run itself decides what is stale (it always
 * analyses the text as it is when it runs, and publishes only for the current version).
 */
import { performance } from 'node:perf_hooks';

/** Why an analysis was asked for; `change` runs are skipped in `run: onSave` mode. */
export type RunReason = 'open' | 'change' | 'save' | 'config';

export interface SchedulePolicy {
  /** Quiet time after the last change before a slow document is analysed (ms). */
  debounceMs: number;
  /**
   * A change is analysed at once when the document's recent analyses (the median of the last three)
   * took at most this long (ms); slower documents are debounced. A document never analysed yet
   * counts as quick.
   */
  immediateBelowMs: number;
}

/** Reasons that force a run outrank `change` (which onSave mode skips). */
const RANK: Record<RunReason, number> = { change: 0, save: 1, open: 2, config: 3 };

export function mergeReasons(a: RunReason | undefined, b: RunReason): RunReason {
  return a === undefined || RANK[b] > RANK[a] ? b : a;
}

/** Turns of the event loop the settling may take at most (a client that never stops sending). */
const MAX_SETTLE_TURNS = 1000;
/** How many recent analysis durations decide whether a document is slow. */
const RECENT = 3;

export class AnalysisQueue {
  private pending: RunReason | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private settling: NodeJS.Immediate | undefined;
  private running = false;
  /** Asked for while a run was in progress: run once more after it. */
  private again: RunReason | undefined;
  /** Bumped by every change; the settling waits for it to stay put for one turn. */
  private changes = 0;
  private readonly recent: number[] = [];
  private disposed = false;

  constructor(
    private readonly policy: SchedulePolicy,
    private readonly execute: (reason: RunReason) => Promise<void>,
  ) {}

  /** Whether the document's recent analyses were slow enough to debounce its changes. */
  get slow(): boolean {
    if (this.recent.length === 0) return false;
    const sorted = [...this.recent].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] > this.policy.immediateBelowMs;
  }

  /** True while a run is waiting to start or in progress. */
  get busy(): boolean {
    return this.pending !== undefined || this.running || this.again !== undefined;
  }

  /** Records how long one real analysis of the document took (cache hits are not analyses). */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.recent.push(ms);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  /** Notes that the document changed: a settling run waits until the changes stop arriving. */
  changed(): void {
    this.changes++;
  }

  /**
   * Asks for a run. `change` runs of a slow document are debounced, unless `cheap` (the run will
   * not need an analysis, e.g. its text's result is cached); everything else runs at once.
   */
  request(reason: RunReason, cheap = false): void {
    if (this.disposed) return;
    if (this.running) {
      this.again = mergeReasons(this.again, reason);
      return;
    }
    this.pending = mergeReasons(this.pending, reason);
    if (this.settling) return; // about to run anyway, and it will see this change
    if (this.pending === 'change' && this.slow && !cheap) {
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.debounce = undefined;
        this.settle();
      }, this.policy.debounceMs);
      return;
    }
    if (this.debounce) {
      clearTimeout(this.debounce);
      this.debounce = undefined;
    }
    this.settle();
  }

  /** Drops a run that has not started (e.g. a request just published the current analysis). */
  cancelPending(): void {
    if (this.debounce) clearTimeout(this.debounce);
    if (this.settling) clearImmediate(this.settling);
    this.debounce = undefined;
    this.settling = undefined;
    this.pending = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelPending();
    this.again = undefined;
  }

  /** Runs once a whole turn of the event loop passed without a change (at least two turns). */
  private settle(): void {
    let seen = this.changes;
    let turns = 0;
    const turn = (): void => {
      this.settling = undefined;
      if (this.disposed) return;
      turns++;
      if ((turns < 2 || this.changes !== seen) && turns < MAX_SETTLE_TURNS) {
        seen = this.changes;
        this.settling = setImmediate(turn);
        return;
      }
      this.fire();
    };
    this.settling = setImmediate(turn);
  }

  private fire(): void {
    const reason = this.pending;
    this.pending = undefined;
    if (reason === undefined || this.disposed) return;
    this.running = true;
    let done: Promise<void>;
    try {
      done = this.execute(reason);
    } catch {
      done = Promise.resolve();
    }
    void done
      .catch(() => undefined)
      .then(() => {
        this.running = false;
        const again = this.again;
        this.again = undefined;
        if (again !== undefined) this.request(again);
      });
  }
}

/** Milliseconds since an arbitrary origin, for timing analyses. */
export function now(): number {
  return performance.now();
}
