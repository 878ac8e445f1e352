/**
 * Mocha's TDD interface for the suites that run inside VS Code (test/vscode/suite/*.test.ts).
 * Mocha itself lives in the test toolchain (test/vscode/toolchain), not in the project's own
 * dependencies, so there are no @types/mocha here: these typed wrappers forward to the globals the
 * runner installs (`ui: 'tdd'`) before it loads the suite files.
 *
 *   import { suite, test, suiteSetup } from './mocha';
 */
export interface Context {
  /** Sets this test's or hook's timeout in milliseconds. */
  timeout(ms: number): void;
  /** Marks the running test as skipped. */
  skip(): never;
}
export type Body = (this: Context) => void | Promise<unknown>;

interface Tdd {
  suite(title: string, fn: (this: unknown) => void): unknown;
  test(title: string, fn: Body): unknown;
  suiteSetup(fn: Body): void;
  suiteTeardown(fn: Body): void;
  setup(fn: Body): void;
  teardown(fn: Body): void;
}

function tdd(): Tdd {
  const g = globalThis as unknown as Partial<Tdd>;
  if (typeof g.suite !== 'function') throw new Error('Mocha globals are missing: load suite files through test/vscode runner only');
  return g as Tdd;
}

export const suite = (title: string, fn: () => void): void => void tdd().suite(title, fn);
export const test = (title: string, fn: Body): void => void tdd().test(title, fn);
export const suiteSetup = (fn: Body): void => tdd().suiteSetup(fn);
export const suiteTeardown = (fn: Body): void => tdd().suiteTeardown(fn);
export const setup = (fn: Body): void => tdd().setup(fn);
export const teardown = (fn: Body): void => tdd().teardown(fn);
