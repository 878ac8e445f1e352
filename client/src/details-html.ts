/**
 * The HTML of the ThreatLens details view, generated without any `vscode` import so that escaping
 * and the content security policy can be unit-tested.
 *
 * The page loads nothing remote: one stylesheet and one script from the extension's `media/`
 * folder (allowed through the webview's `cspSource`, the script also through a nonce), colours
 * only through VS Code's theme variables (in media/details.css). Links to ATLAS, CWE and the
 * threat's source are plain `https:` anchors the editor opens in the browser; links to findings
 * and to other threats or rules are anchors the script turns into messages to the extension.
 */
import { randomBytes } from 'node:crypto';
import type { CatalogRule, CatalogThreat } from '../../server/src/protocol';
import { locationLabel, plural, threatsOf, type CatalogIndex, type FindingRecord } from './explorer/model';

export interface PageResources {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** Webview URIs (as strings) of media/details.css and media/details.js. */
  styleUri: string;
  scriptUri: string;
}

/** What the page's script posts to the extension. */
export type DetailsMessage =
  | { type: 'reveal'; index: number }
  | { type: 'open'; kind: 'threat' | 'rule'; id: string }
  | { type: 'external'; url: string };

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** `url` when it is an absolute `https:` (or `http:`) URL, else undefined: no `javascript:`, `data:`, relative... */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return `default-src 'none'; style-src ${cspSource}; script-src 'nonce-${nonce}'; img-src ${cspSource}; font-src ${cspSource}`;
}

/** Is `value` a message the details page may send? (Anything else is ignored.) */
export function isDetailsMessage(value: unknown): value is DetailsMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (m.type === 'reveal') return typeof m.index === 'number' && Number.isInteger(m.index) && m.index >= 0;
  if (m.type === 'open') return (m.kind === 'threat' || m.kind === 'rule') && typeof m.id === 'string';
  if (m.type === 'external') return typeof m.url === 'string' && safeUrl(m.url) !== undefined;
  return false;
}

// ---------------------------------------------------------------------------------------------

/** Escaped prose where `code` spans become <code> and blank lines separate paragraphs. */
function prose(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${escapeHtml(p).replace(/`([^`\n]+)`/g, '<code>$1</code>')}</p>`)
    .join('\n');
}

function externalLink(url: string | undefined, text: string): string {
  const safe = safeUrl(url);
  return safe ? `<a href="${escapeHtml(safe)}" data-external>${escapeHtml(text)}</a>` : escapeHtml(text);
}

function openLink(kind: 'threat' | 'rule', id: string, text: string): string {
  return `<a href="#" data-open="${kind}" data-id="${escapeHtml(id)}">${escapeHtml(text)}</a>`;
}

function section(id: string, heading: string, body: string): string {
  return `<section aria-labelledby="${id}">\n<h2 id="${id}">${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

function list(items: string[], empty = 'None.'): string {
  return items.length ? `<ul>\n${items.map((i) => `<li>${i}</li>`).join('\n')}\n</ul>` : `<p class="muted">${escapeHtml(empty)}</p>`;
}

function cweLink(cwe: string): string {
  const n = /^CWE-(\d+)$/i.exec(cwe)?.[1];
  return n ? externalLink(`https://cwe.mitre.org/data/definitions/${n}.html`, cwe) : escapeHtml(cwe);
}

function severityBadge(severity: string): string {
  return `<span class="badge severity-${escapeHtml(severity)}">${escapeHtml(severity)}</span>`;
}

function codeBlock(label: string, code: string, language: string, kind: 'bad' | 'good'): string {
  return (
    `<figure class="example ${kind}">\n<figcaption>${escapeHtml(label)}</figcaption>\n` +
    `<pre tabindex="0"><code class="language-${escapeHtml(language)}">${escapeHtml(code.replace(/\n$/, ''))}</code></pre>\n</figure>`
  );
}

function examples(rule: CatalogRule | undefined): string {
  if (!rule || (!rule.example && !rule.useInstead)) return '<p class="muted">No example.</p>';
  const parts = [`<p>From rule ${openLink('rule', rule.id, `${rule.id} ${rule.title}`)}.</p>`];
  if (rule.example) parts.push(codeBlock('Vulnerable', rule.example, rule.exampleLanguage, 'bad'));
  if (rule.useInstead) parts.push(codeBlock('Safer', rule.useInstead, rule.exampleLanguage, 'good'));
  return parts.join('\n');
}

/** The findings list; each link carries the finding's index in the array the extension keeps for the page. */
function findingsList(findings: readonly FindingRecord[]): string {
  return list(
    findings.map(
      (f, i) =>
        `<a href="#" data-finding="${i}">${escapeHtml(locationLabel(f))}</a> ` +
        `<span class="rule">${escapeHtml(f.ruleId)}</span> ${severityBadge(f.severity)} ${escapeHtml(f.message)}`,
    ),
    'No findings in this workspace.',
  );
}

function page(title: string, kind: string, header: string, sections: string[], res: PageResources): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(res.cspSource, res.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(res.styleUri)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<header>
<p class="kind">${escapeHtml(kind)}</p>
<h1>${escapeHtml(title)}</h1>
${header}
</header>
<main>
${sections.join('\n')}
</main>
<script nonce="${escapeHtml(res.nonce)}" src="${escapeHtml(res.scriptUri)}"></script>
</body>
</html>
`;
}

/** The details page of a threat; `findings` are those that evidence it (the page links them by index). */
export function threatDetailsHtml(
  threat: CatalogThreat,
  index: CatalogIndex | undefined,
  findings: readonly FindingRecord[],
  res: PageResources,
): string {
  const firstRule = threat.rules.map((id) => index?.rules.get(id)).find((r): r is CatalogRule => !!r);
  const source = threat.sourceRef
    ? `<p class="source">Source (${escapeHtml(threat.source)}): ${externalLink(threat.sourceRef.url, threat.sourceRef.title)}</p>`
    : '';
  const header = `<p class="badges">${severityBadge(threat.severity)} <span class="badge">${escapeHtml(plural(findings.length, 'finding'))}</span></p>`;
  const mitigations = threat.mitigations.map((m) => {
    const name = m.id ? `${m.id} ${m.name}` : m.name;
    const text = m.text ? `<div class="mitigation-text">${prose(m.text)}</div>` : '';
    return `${m.url ? externalLink(m.url, name) : `<span>${escapeHtml(name)}</span>`}${text}`;
  });
  return page(
    `${threat.id} ${threat.name}`,
    'Threat',
    header,
    [
      section('summary', 'Summary', `${prose(threat.summary)}\n${source}${threat.inCode ? `\n<h3>In code</h3>\n${prose(threat.inCode)}` : ''}`),
      section('stages', 'Lifecycle stages', list(threat.stages.map((s) => escapeHtml(s)))),
      section(
        'atlas',
        'MITRE ATLAS',
        `<h3>Techniques</h3>\n${list(threat.techniques.map((t) => `${externalLink(t.url, t.id)} ${escapeHtml(t.name)}`))}\n` +
          `<h3>Tactics</h3>\n${list(threat.tactics.map((t) => `${externalLink(t.url, t.id)} ${escapeHtml(t.name)}`))}`,
      ),
      section(
        'weaknesses',
        'Weaknesses and OWASP',
        `<h3>CWE</h3>\n${list(threat.cwe.map(cweLink))}\n<h3>OWASP</h3>\n${list(threat.owasp.map((o) => escapeHtml(o)))}`,
      ),
      section('mitigations', 'Mitigations', list(mitigations)),
      section(
        'rules',
        'Rules that find it',
        list(
          threat.rules.map((id) => {
            const r = index?.rules.get(id);
            return r ? `${openLink('rule', r.id, r.id)} ${escapeHtml(r.title)}` : escapeHtml(id);
          }),
          'No ThreatLens rule finds this threat in code.',
        ),
      ),
      section('example', 'Example', examples(firstRule)),
      section('findings', `Findings in this workspace (${findings.length})`, findingsList(findings)),
    ],
    res,
  );
}

/** The details page of a rule; `findings` are that rule's findings. */
export function ruleDetailsHtml(
  rule: CatalogRule,
  index: CatalogIndex | undefined,
  findings: readonly FindingRecord[],
  res: PageResources,
): string {
  const threats = threatsOf(index, rule.id);
  const stages = [...new Set(threats.flatMap((t) => t.stages))];
  const owasp = [...new Set(threats.flatMap((t) => t.owasp))];
  const mitigations = [...new Set(threats.flatMap((t) => t.mitigations.filter((m) => m.id).map((m) => `${m.id} ${m.name}`)))];
  const header =
    `<p class="badges">${severityBadge(rule.severity)} <span class="badge">${escapeHtml(rule.family)}</span> ` +
    `<span class="badge">${escapeHtml(plural(findings.length, 'finding'))}</span></p>`;
  return page(
    `${rule.id} ${rule.title}`,
    'Rule',
    header,
    [
      section('summary', 'Summary', `<h3>What it finds</h3>\n${prose(rule.finds)}\n<h3>Why it matters</h3>\n${prose(rule.why)}`),
      section(
        'threats',
        'Threats',
        list(
          threats.map((t) => `${openLink('threat', t.id, t.id)} ${escapeHtml(t.name)}`),
          'This rule is not linked to a threat.',
        ),
      ),
      section('stages', 'Lifecycle stages', list(stages.map((s) => escapeHtml(s)))),
      section('atlas', 'MITRE ATLAS', list(rule.techniques.map((t) => `${externalLink(t.url, t.id)} ${escapeHtml(t.name)}`))),
      section(
        'weaknesses',
        'Weaknesses and OWASP',
        `<h3>CWE</h3>\n${list(rule.cwe.map(cweLink))}\n<h3>OWASP</h3>\n${list(owasp.map((o) => escapeHtml(o)))}`,
      ),
      section('mitigations', 'Mitigations', list(mitigations.map((m) => escapeHtml(m)))),
      section('example', 'Example', examples(rule)),
      section('references', 'References', list(rule.references.map((r) => externalLink(r.url, r.title)))),
      section('findings', `Findings in this workspace (${findings.length})`, findingsList(findings)),
    ],
    res,
  );
}
