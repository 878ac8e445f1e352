/** Shared pieces of the dependency rules (TL0xx). */
import type { ManifestContext, ManifestFix } from '../deps/context';
import type { IndexDecl, Requirement, Span } from '../deps/types';

/** Threats and ATLAS techniques every dependency finding links to. */
export const DEPENDENCY_LINKS = {
  /** Compromised PyTorch dependency chain (CS0015) and hallucinated package names. */
  threats: ['MLT-016', 'MLT-023'],
  /** AI Supply Chain Compromise: AI Software. */
  techniques: ['AML.T0010.001'],
};

export const DEP_REF = {
  pipSecure: { title: 'pip docs: secure installs (hash-checking mode)', url: 'https://pip.pypa.io/en/stable/topics/secure-installs/' },
  pipReqFormat: { title: 'pip docs: requirements file format', url: 'https://pip.pypa.io/en/stable/reference/requirements-file-format/' },
  pep440: { title: 'PEP 440: version specifiers', url: 'https://packaging.python.org/en/latest/specifications/version-specifiers/' },
  torchtriton: { title: 'PyTorch: compromised nightly dependency (torchtriton), December 2022', url: 'https://pytorch.org/blog/compromised-nightly-dependency/' },
  atlasCs0015: { title: 'MITRE ATLAS AML.CS0015: Compromised PyTorch Dependency Chain', url: 'https://atlas.mitre.org/studies/AML.CS0015' },
  supplyChain: { title: 'MITRE ATLAS AML.T0010.001: AI Supply Chain Compromise: AI Software', url: 'https://atlas.mitre.org/techniques/AML.T0010.001' },
  cwe829: { title: 'CWE-829: Inclusion of Functionality from Untrusted Control Sphere', url: 'https://cwe.mitre.org/data/definitions/829.html' },
  cwe494: { title: 'CWE-494: Download of Code Without Integrity Check', url: 'https://cwe.mitre.org/data/definitions/494.html' },
  cwe1395: { title: 'CWE-1395: Dependency on Vulnerable Third-Party Component', url: 'https://cwe.mitre.org/data/definitions/1395.html' },
  osv: { title: 'OSV: the open source vulnerability database (PyPI advisories)', url: 'https://osv.dev/list?ecosystem=PyPI' },
  pypaDb: { title: 'Python Packaging Advisory Database (CC-BY-4.0)', url: 'https://github.com/pypa/advisory-database' },
};

/** Packaging tools themselves: `pip install -U pip` is routine and pinning them is not expected. */
export const TOOLING = new Set(['pip', 'setuptools', 'wheel', 'uv', 'pip-tools', 'virtualenv', 'python']);

/** The requirement's text as written, shortened for messages. */
export function reqText(ctx: ManifestContext, r: Requirement): string {
  const t = ctx.text.slice(r.span.start, r.span.end).replace(/\s+/g, ' ').trim();
  return t.length > 70 ? t.slice(0, 67) + '...' : t;
}

/** The offset right after the name and its extras (`torch[cuda]|`), where a version clause goes. */
export function afterNameAndExtras(ctx: ManifestContext, r: Requirement): number {
  let end = r.nameSpan.end;
  const rest = ctx.text.slice(end, r.span.end);
  const m = /^\s*\[[^\]\n]*\]/.exec(rest);
  if (m) end += m[0].length;
  return end;
}

/** Host part of a URL (lower case), or undefined. */
export function hostOf(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)/i.exec(url.trim());
  return m?.[1].toLowerCase();
}

/** Loopback and local hosts: a local mirror over http is not exposed to the network. */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '[::1]' || host === '::1' || host === '0.0.0.0';
}

/** True when `url` is fetched over plain http (also `git+http://`), from a non-loopback host. */
export function isPlainHttp(url: string): boolean {
  const u = url.trim();
  return /^(?:[a-z]+\+)?http:\/\//i.test(u) && !isLoopback(hostOf(u.replace(/^[a-z]+\+/i, '')));
}

/** Values that are variables to be expanded later (`${PIP_INDEX_URL}`): nothing to say about them. */
export function isPlaceholder(url: string): boolean {
  return /^\$\{?\w+\}?/.test(url.trim());
}

/** The fix that turns `http://` into `https://` at the start of the URL written at `span`. */
export function httpsFix(ctx: ManifestContext, span: Span): ManifestFix | undefined {
  const text = ctx.text.slice(span.start, span.end);
  const m = /^(?:[a-z]+\+)?http(?=:\/\/)/i.exec(text);
  if (!m) return undefined;
  const at = span.start + m[0].length;
  return { title: 'Use https', safety: 'unsafe', edits: [{ span: { start: at, end: at }, newText: 's' }] };
}

/** A short description of where an index is declared, for messages. */
export function indexLabel(idx: IndexDecl): string {
  const name = idx.name ? ` '${idx.name}'` : '';
  switch (idx.tool) {
    case 'pip':
      return `--${idx.kind} ${idx.url}`;
    case 'poetry':
      return `Poetry source${name} (${idx.url})`;
    case 'uv':
      return `uv index${name} (${idx.url})`;
    case 'pdm':
      return `PDM source${name} (${idx.url})`;
    case 'pipenv':
      return `Pipfile source${name} (${idx.url})`;
    case 'conda':
      return `conda channel ${idx.url}`;
  }
}

/** A span covering both the option token and its value, when there is an option token. */
export function optionAndValue(idx: IndexDecl): Span {
  return idx.optionSpan ? { start: Math.min(idx.optionSpan.start, idx.span.start), end: Math.max(idx.optionSpan.end, idx.span.end) } : idx.span;
}
