/**
 * Suppression comments:
 * - `# threatlens: ignore[TL101] reason` on the flagged line (several ids: `[TL101, TL108]`;
 *   without brackets, every rule);
 * - `# threatlens: ignore-next-line[TL101] reason` on the line above;
 * - Bandit's `# nosec` (bare: every rule; `# nosec B301`: the rules that Bandit id maps to),
 *   unless the `honorNosec` setting is off.
 */
import type { RuleMeta } from './types';

interface Directive {
  /** Rule ids (TLxxx) or peer ids (B301); empty means every rule. */
  ids: Set<string>;
  nosec: boolean;
}

/** A comment: a tree-sitter comment node, or a `#` comment found in a manifest's text. */
export interface CommentLike {
  readonly text: string;
  readonly startPosition: { readonly row: number; readonly column: number };
}

export class Suppressions {
  private readonly byLine = new Map<number, Directive[]>();

  constructor(comments: readonly CommentLike[]) {
    for (const comment of comments) this.parse(comment);
  }

  get size(): number {
    return this.byLine.size;
  }

  private add(line: number, directive: Directive): void {
    let list = this.byLine.get(line);
    if (!list) this.byLine.set(line, (list = []));
    list.push(directive);
  }

  private parse(comment: CommentLike): void {
    const text = comment.text;
    const line = comment.startPosition.row;
    const ours = /threatlens:\s*ignore(-next-line)?(?:\s*\[([^\]]*)\])?/gi;
    for (let m = ours.exec(text); m; m = ours.exec(text)) {
      const ids = new Set(
        (m[2] ?? '')
          .split(/[\s,]+/)
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean),
      );
      this.add(m[1] ? line + 1 : line, { ids, nosec: false });
    }
    const nosec = /#\s*nosec\b:?([\sA-Za-z0-9,]*)/i.exec(text);
    if (nosec) {
      const ids = new Set(
        nosec[1]
          .split(/[\s,]+/)
          .map((s) => s.trim().toUpperCase())
          .filter((s) => /^(B\d{3}|TL\d{3})$/.test(s)),
      );
      this.add(line, { ids, nosec: true });
    }
  }

  /** True when a finding of `rule` on any of `lines` is suppressed. */
  isSuppressed(rule: RuleMeta, lines: readonly number[], honorNosec: boolean): boolean {
    for (const line of lines) {
      const list = this.byLine.get(line);
      if (!list) continue;
      for (const d of list) {
        if (d.nosec && !honorNosec) continue;
        if (d.ids.size === 0 || d.ids.has(rule.id)) return true;
        if (d.nosec && rule.peers?.bandit?.some((b) => d.ids.has(b))) return true;
      }
    }
    return false;
  }
}

/** The suppression comment text for one rule (what "ignore" quick fixes write). */
export function ignoreDirective(ruleId: string, nextLine = false): string {
  return `# threatlens: ${nextLine ? 'ignore-next-line' : 'ignore'}[${ruleId}] <reason>`;
}

/** Matches an existing `threatlens: ignore[...]` directive; group 1 holds its ids. */
export const IGNORE_DIRECTIVE = /threatlens:\s*ignore\s*\[([^\]]*)\]/gi;
