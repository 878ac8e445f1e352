/**
 * What a dependency rule sees: one parsed manifest, the advisory database and the facts about the
 * project around the file that decide whether pins are expected.
 */
import type { AdvisoryDb } from './advisories';
import type { Manifest, Span } from './types';
import type { FixSafety, RelatedInfo, Severity } from '../types';

export interface SpanEdit {
  span: Span;
  newText: string;
}

export interface ManifestFix {
  title: string;
  safety: FixSafety;
  edits: SpanEdit[];
  /** `newText` holds snippet placeholders (`${1:COMMIT_SHA}`). */
  snippet?: boolean;
}

export interface ManifestReport {
  span: Span;
  message: string;
  severity?: Severity;
  fixes?: ManifestFix[];
  related?: { span: Span; message: string }[];
}

export interface ManifestContext {
  readonly manifest: Manifest;
  readonly text: string;
  readonly advisories: AdvisoryDb;
  /**
   * True where exact pins are expected: applications, environments, notebooks and scripts that no
   * lock file pins. False for a library's abstract dependencies and for files next to a lock file.
   */
  readonly pinsExpected: boolean;
  /** The lock file next to the manifest that pins its dependencies, if any (`uv.lock`). */
  readonly lockFile?: string;
  /**
   * True for files that only set up development tools (docs builds, tests, linters), judged from
   * the path: `requirements-dev.txt`, `docs/requirements.txt`. Their findings weigh less.
   */
  readonly devOnly: boolean;
  report(report: ManifestReport): void;
}

export type { RelatedInfo };
