// The VS Code client's logic that does not need VS Code: the explorer model (grouping, counting,
// filtering, severities, Markdown export, changed-file lists) and the details view's HTML, plus
// the consistency of the sidebar, menus and walkthrough declared in package.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { manifestKindOf } from '../server/src/engine/deps/parse';
import { Commands, type CatalogResult, type RuleSeverity } from '../server/src/protocol';
import {
  NO_THREAT_LABEL,
  atlasIdsOf,
  codeSpan,
  countByThreat,
  escapeMarkdown,
  filterFindings,
  findingMarkdown,
  findingsOfThreat,
  groupFindings,
  groupMarkdown,
  indexCatalog,
  isScannablePath,
  MANIFEST_PATTERNS,
  locationLabel,
  parsePorcelainZ,
  ruleIdOf,
  severityOf,
  shortMessage,
  stagesOf,
  type FindingRecord,
} from '../client/src/explorer/model';
import {
  contentSecurityPolicy,
  escapeHtml,
  isDetailsMessage,
  makeNonce,
  ruleDetailsHtml,
  safeUrl,
  threatDetailsHtml,
  type PageResources,
} from '../client/src/details-html';

const root = join(__dirname, '..');

const CATALOG: CatalogResult = {
  stages: ['Data Preparation', 'Training', 'Deployment', 'Inference'],
  atlasVersion: '5.0.0',
  threats: [
    {
      id: 'MLT-001',
      name: 'Poisoned model file',
      severity: 'critical',
      summary: 'A model file that runs code when it is loaded.',
      source: 'incident',
      sourceRef: { title: 'Report', url: 'https://example.org/report' },
      stages: ['Deployment', 'Inference'],
      techniques: [{ id: 'AML.T0011', name: 'User Execution', url: 'https://atlas.mitre.org/techniques/AML.T0011' }],
      tactics: [],
      mitigations: [{ id: 'AML.M0001', name: 'Verify artifacts', text: 'Check hashes.' }, { name: 'Use safetensors' }],
      cwe: ['CWE-502'],
      owasp: ['ML06'],
      rules: ['TL101'],
    },
    {
      id: 'MLT-002',
      name: 'Dependency confusion',
      severity: 'high',
      summary: 'A package from the wrong index.',
      source: 'literature',
      stages: ['Training', 'Data Preparation'],
      techniques: [{ id: 'AML.T0010', name: 'ML Supply Chain Compromise' }],
      tactics: [],
      mitigations: [],
      cwe: ['CWE-829'],
      owasp: [],
      rules: ['TL001'],
    },
  ],
  rules: [
    rule('TL101', 'Unpickling untrusted data', 'high', ['MLT-001']),
    rule('TL001', 'Requirement without any version pin', 'medium', ['MLT-002']),
    // Linked to a threat only from the threat's side:
    rule('TL108', 'torch.load without weights_only=True', 'high', []),
    rule('TL999', 'A rule with no threat', 'low', []),
  ],
};
CATALOG.threats[0]!.rules.push('TL108');

function rule(id: string, title: string, severity: RuleSeverity, threats: string[]): CatalogResult['rules'][number] {
  return {
    id,
    name: title.toLowerCase().replace(/\W+/g, '-'),
    title,
    family: 'test',
    severity,
    cwe: ['CWE-502'],
    threats,
    techniques: [{ id: 'AML.T0099', name: 'Rule technique', url: 'https://atlas.mitre.org/techniques/AML.T0099' }],
    finds: 'Calls such as `pickle.load`.',
    why: 'Unpickling runs code.',
    example: 'pickle.load(f)\n',
    useInstead: 'json.load(f)\n',
    exampleLanguage: 'python',
    references: [{ title: 'Docs', url: 'https://docs.python.org/3/library/pickle.html' }],
  };
}

const index = indexCatalog(CATALOG);

function finding(ruleId: string, file: string, line: number, severity: RuleSeverity, message = `${ruleId} message`): FindingRecord {
  return {
    uri: `file:///ws/${file}`,
    file,
    range: { start: { line, character: 0 }, end: { line, character: 5 } },
    ruleId,
    message,
    severity,
  };
}

const FINDINGS: FindingRecord[] = [
  finding('TL101', 'src/train.py', 9, 'high', 'pickle.load of a downloaded file'),
  finding('TL108', 'src/serve.py', 3, 'critical', 'torch.load without weights_only'),
  finding('TL001', 'requirements.txt', 0, 'medium', 'torch is not pinned'),
  finding('TL101', 'src/serve.py', 1, 'high'),
  finding('TL999', 'src/util.py', 4, 'low', 'something minor'),
];

// ---------------------------------------------------------------------------------------------

describe('client model: diagnostics to findings', () => {
  it('takes the rule id from a string code or a { value, target } code', () => {
    assert.equal(ruleIdOf('TL101'), 'TL101');
    assert.equal(ruleIdOf({ value: 'TL101', target: {} }), 'TL101');
    assert.equal(ruleIdOf(101), undefined);
    assert.equal(ruleIdOf(undefined), undefined);
    assert.equal(ruleIdOf({ value: 7 }), undefined);
  });

  it('keeps only the first line of the message', () => {
    assert.equal(shortMessage('pickle.load of data\nThreats: MLT-001 ...'), 'pickle.load of data');
    assert.equal(shortMessage('one line'), 'one line');
    assert.equal(shortMessage(''), '');
  });

  it('derives the severity from the level, the override and the catalog', () => {
    // Error = 0, Warning = 1, Information = 2, Hint = 3.
    assert.equal(severityOf(0), 'high');
    assert.equal(severityOf(0, undefined, 'critical'), 'critical');
    assert.equal(severityOf(0, 'high', 'critical'), 'high', 'the override wins when it matches the level');
    assert.equal(severityOf(1, undefined, 'critical'), 'medium', 'a catalog severity that disagrees with the level is ignored');
    assert.equal(severityOf(2, undefined, 'low'), 'low');
    assert.equal(severityOf(3), 'low');
  });
});

describe('client model: catalog index', () => {
  it('links rules and threats from both sides', () => {
    assert.deepEqual(index.threatsOfRule.get('TL101'), ['MLT-001']);
    assert.deepEqual(index.threatsOfRule.get('TL108'), ['MLT-001'], 'from the threat\'s rule list');
    assert.equal(index.threatsOfRule.get('TL999'), undefined);
    assert.deepEqual(stagesOf(index, 'TL001'), ['Training', 'Data Preparation']);
    assert.deepEqual(atlasIdsOf(index, 'TL101'), ['AML.T0099'], 'the rule\'s own techniques');
    const bare = indexCatalog({ ...CATALOG, rules: CATALOG.rules.map((r) => ({ ...r, techniques: [] })) });
    assert.deepEqual(atlasIdsOf(bare, 'TL101'), ['AML.T0011'], 'else those of its threats');
    assert.deepEqual(stagesOf(undefined, 'TL101'), []);
  });
});

describe('client model: filtering', () => {
  it('drops findings below the minimum severity', () => {
    assert.equal(filterFindings(FINDINGS, { minimumSeverity: 'low' }).length, 5);
    assert.deepEqual(
      filterFindings(FINDINGS, { minimumSeverity: 'high' }).map((f) => f.ruleId).sort(),
      ['TL101', 'TL101', 'TL108'],
    );
    assert.deepEqual(filterFindings(FINDINGS, { minimumSeverity: 'critical' }).map((f) => f.ruleId), ['TL108']);
  });

  it('matches every word in the message, rule id, file or threat, ignoring case', () => {
    const ids = (filter: string) => filterFindings(FINDINGS, { filter, index }).map((f) => `${f.ruleId}@${f.file}`).sort();
    assert.deepEqual(ids('PICKLE.LOAD'), ['TL101@src/train.py']);
    assert.deepEqual(ids('tl108'), ['TL108@src/serve.py']);
    assert.deepEqual(ids('serve.py'), ['TL101@src/serve.py', 'TL108@src/serve.py']);
    assert.deepEqual(ids('MLT-002'), ['TL001@requirements.txt']);
    assert.deepEqual(ids('poisoned'), ['TL101@src/serve.py', 'TL101@src/train.py', 'TL108@src/serve.py'], 'threat name');
    assert.deepEqual(ids('poisoned train'), ['TL101@src/train.py'], 'all words must match');
    assert.deepEqual(ids('  '), ids(''), 'blank filter keeps everything');
    assert.deepEqual(ids('nothing-like-this'), []);
  });

  it('combines the filter and the minimum severity', () => {
    assert.deepEqual(filterFindings(FINDINGS, { filter: 'serve', minimumSeverity: 'critical', index }).map((f) => f.ruleId), ['TL108']);
  });
});

describe('client model: grouping', () => {
  it('by threat: most severe first, a finding in each of its threats, unlinked findings last', () => {
    const groups = groupFindings(FINDINGS, 'threat', index);
    assert.deepEqual(
      groups.map((g) => [g.key, g.findings.length]),
      [
        ['MLT-001', 3],
        ['MLT-002', 1],
        ['', 1],
      ],
    );
    assert.equal(groups[0]!.label, 'MLT-001 Poisoned model file');
    assert.equal(groups[0]!.description, '3 findings · critical');
    assert.equal(groups[0]!.severity, 'critical');
    assert.equal(groups[2]!.label, NO_THREAT_LABEL);
    assert.equal(groups[1]!.description, '1 finding · medium');
    // Inside a group: by file, then line.
    assert.deepEqual(groups[0]!.findings.map(locationLabel), ['src/serve.py:2', 'src/serve.py:4', 'src/train.py:10']);
  });

  it('by stage: lifecycle order, a finding under every stage of its threats', () => {
    const groups = groupFindings(FINDINGS, 'stage', index);
    assert.deepEqual(
      groups.map((g) => [g.key, g.findings.length]),
      [
        ['Data Preparation', 1],
        ['Training', 1],
        ['Deployment', 3],
        ['Inference', 3],
        ['', 1],
      ],
    );
  });

  it('by file and by severity', () => {
    const byFile = groupFindings(FINDINGS, 'file', index);
    assert.deepEqual(byFile.map((g) => g.key), ['requirements.txt', 'src/serve.py', 'src/train.py', 'src/util.py']);
    assert.equal(byFile.find((g) => g.key === 'src/serve.py')!.findings.length, 2);
    const bySeverity = groupFindings(FINDINGS, 'severity', index);
    assert.deepEqual(bySeverity.map((g) => [g.label, g.description]), [
      ['Critical', '1 finding'],
      ['High', '2 findings'],
      ['Medium', '1 finding'],
      ['Low', '1 finding'],
    ]);
  });

  it('works without a catalog and with no findings', () => {
    assert.deepEqual(groupFindings([], 'threat', index), []);
    const groups = groupFindings(FINDINGS, 'threat', undefined);
    assert.equal(groups.length, 1);
    assert.equal(groups[0]!.label, NO_THREAT_LABEL);
    assert.equal(groups[0]!.findings.length, 5);
  });

  it('counts findings per threat', () => {
    assert.deepEqual([...countByThreat(FINDINGS, index)].sort(), [
      ['MLT-001', 3],
      ['MLT-002', 1],
    ]);
    assert.deepEqual(findingsOfThreat(FINDINGS, index, 'MLT-002').map((f) => f.file), ['requirements.txt']);
    assert.deepEqual(findingsOfThreat(FINDINGS, index, 'MLT-404'), []);
  });

  it('labels notebook cells with their cell number', () => {
    const f: FindingRecord = { ...finding('TL101', 'nb/train.ipynb', 2, 'high'), cell: 4 };
    assert.equal(locationLabel(f), 'nb/train.ipynb, cell 4:3');
    const groups = groupFindings([f, { ...f, cell: 1 }], 'file', index);
    assert.equal(groups.length, 1, 'the cells of one notebook are one file');
    assert.deepEqual(groups[0]!.findings.map((x) => x.cell), [1, 4]);
  });
});

describe('client model: Markdown export', () => {
  it('a finding: rule, title, severity, location, message, threats and ATLAS ids', () => {
    const md = findingMarkdown(FINDINGS[0]!, index);
    assert.match(md, /\*\*TL101 Unpickling untrusted data\*\* \(high\)/);
    assert.match(md, /`src\/train\.py:10`/);
    assert.match(md, /pickle\.load of a downloaded file/);
    assert.match(md, /Threats: MLT-001 Poisoned model file/);
    assert.match(md, /MITRE ATLAS: AML\.T0099\n/);
  });

  it('escapes Markdown in messages and survives backticks in paths', () => {
    const f = finding('TL999', 'odd`name.py', 0, 'low', 'uses *stars* and [links](javascript:x) <b>');
    const md = findingMarkdown(f, index);
    assert.ok(md.includes('uses \\*stars\\* and \\[links\\]\\(javascript:x\\) \\<b\\>'), md);
    assert.ok(md.includes('``odd`name.py:1``'), md);
    assert.equal(escapeMarkdown('a\nb'), 'a b');
    const code = findingMarkdown(finding('TL101', 'a.py', 0, 'high', '`pickle.load` of *data* in `my_file`'), index);
    assert.ok(code.includes('`pickle.load` of \\*data\\* in `my_file`'), 'code spans of the message are kept');
    assert.equal(codeSpan('`x`'), '`` `x` ``');
  });

  it('a group: a heading and one list item per finding', () => {
    const group = groupFindings(FINDINGS, 'threat', index)[0]!;
    const md = groupMarkdown(group.label, group.findings, index);
    const lines = md.trim().split('\n');
    assert.equal(lines[0], '### MLT-001 Poisoned model file (3 findings)');
    const items = lines.filter((l) => l.startsWith('- '));
    assert.equal(items.length, 3);
    assert.match(items[0]!, /^- \*\*TL101\*\* Unpickling untrusted data \(high\) `src\/serve\.py:2`: TL101 message Threats: /);
    assert.match(items[1]!, /^- \*\*TL108\*\* torch\.load without weights\\_only=True \(critical\) `src\/serve\.py:4`: /);
    assert.ok(items.every((i) => i.includes('ATLAS: ')));
  });
});

describe('client model: changed files', () => {
  it('recognises the files ThreatLens analyses', () => {
    for (const p of [
      'a.py',
      'pkg/b.pyi',
      'nb/x.ipynb',
      'requirements.txt',
      'requirements-dev.in',
      'requirements/base.txt',
      'ci/constraints.txt',
      'pyproject.toml',
      'sub/setup.cfg',
      'Pipfile',
      'environment.yml',
      'environment-gpu.yaml',
      'C:\\repo\\train.py',
    ]) {
      assert.ok(isScannablePath(p), p);
    }
    for (const p of ['README.md', 'a.pyc', 'Pipfile.lock', 'setup.py.bak', 'package.json', 'data/req.csv']) {
      assert.ok(!isScannablePath(p), p);
    }
  });

  it('parses git status --porcelain -z', () => {
    const out = [' M src/a.py', 'A  new.py', 'R  renamed.py', 'old.py', ' D gone.py', 'D  staged-gone.py', '?? notes/x y.py', 'MM both.py', ''].join('\0');
    assert.deepEqual(parsePorcelainZ(out), ['src/a.py', 'new.py', 'renamed.py', 'notes/x y.py', 'both.py']);
    assert.deepEqual(parsePorcelainZ(''), []);
  });
});

// ---------------------------------------------------------------------------------------------

const RES: PageResources = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'abc123',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/details.css',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/details.js',
};

/** The `src`/`href` values of the tags that load something (link, script, img, iframe...). */
function loadedUrls(html: string): string[] {
  const urls: string[] = [];
  for (const m of html.matchAll(/<(link|script|img|iframe|audio|video|source|object|embed)\b[^>]*>/gi)) {
    for (const a of m[0].matchAll(/\b(?:src|href|data)="([^"]*)"/g)) urls.push(a[1]!);
  }
  return urls;
}

describe('details view HTML', () => {
  const evil = '<script>alert(1)</script>"\'&';
  const evilIndex = indexCatalog({
    ...CATALOG,
    threats: [{ ...CATALOG.threats[0]!, name: evil, summary: `Summary ${evil}`, sourceRef: { title: evil, url: 'javascript:alert(1)' } }],
  });
  const evilFindings = [finding('TL101', `src/${evil}.py`, 0, 'high', `message ${evil}`)];

  it('escapes everything that comes from the catalog or the code', () => {
    assert.equal(escapeHtml(evil), '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    const html = threatDetailsHtml(evilIndex.threats.get('MLT-001')!, evilIndex, evilFindings, RES);
    assert.equal((html.match(/<script\b/g) ?? []).length, 1, 'only the page\'s own script tag');
    assert.ok(!html.includes('alert(1)</script>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!/href="javascript:/i.test(html), 'no javascript: links');
  });

  it('declares a strict content security policy with a nonce for the one script', () => {
    assert.equal(
      contentSecurityPolicy(RES.cspSource, 'n0nce'),
      `default-src 'none'; style-src ${RES.cspSource}; script-src 'nonce-n0nce'; img-src ${RES.cspSource}; font-src ${RES.cspSource}`,
    );
    const html = threatDetailsHtml(CATALOG.threats[0]!, index, FINDINGS.slice(0, 2), RES);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    assert.ok(csp, 'the page has a CSP meta tag');
    assert.ok(csp.includes("default-src 'none'"));
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
    assert.match(html, /<script nonce="abc123" src="[^"]+details\.js"><\/script>/);
    assert.ok(!/<style\b/.test(html) && !/\sstyle="/.test(html), 'no inline styles');
    assert.ok(!/\son[a-z]+="/i.test(html), 'no inline event handlers');
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
    assert.notEqual(nonce, makeNonce());
  });

  it('loads nothing remote: only the extension\'s own stylesheet and script', () => {
    for (const html of [
      threatDetailsHtml(CATALOG.threats[0]!, index, FINDINGS, RES),
      ruleDetailsHtml(CATALOG.rules[0]!, index, FINDINGS, RES),
    ]) {
      assert.deepEqual(loadedUrls(html).sort(), [RES.scriptUri, RES.styleUri].sort());
    }
  });

  it('is accessible: lang, one h1, sections with h2 headings, real links', () => {
    const html = threatDetailsHtml(CATALOG.threats[0]!, index, FINDINGS.slice(0, 2), RES);
    assert.match(html, /<html lang="en">/);
    assert.equal((html.match(/<h1>/g) ?? []).length, 1);
    assert.ok((html.match(/<h2 id="/g) ?? []).length >= 6);
    for (const m of html.matchAll(/<section aria-labelledby="([^"]+)">/g)) assert.ok(html.includes(`<h2 id="${m[1]}">`), m[1]);
    assert.ok(!/<(div|span)[^>]*data-(finding|open)/.test(html), 'clickable things are anchors');
  });

  it('shows the threat: summary, stages, ATLAS, CWE, OWASP, mitigations, example and findings', () => {
    const threat = CATALOG.threats[0]!;
    const found = findingsOfThreat(FINDINGS, index, threat.id);
    const html = threatDetailsHtml(threat, index, found, RES);
    assert.ok(html.includes('<h1>MLT-001 Poisoned model file</h1>'));
    assert.ok(html.includes('<li>Deployment</li>') && html.includes('<li>Inference</li>'));
    assert.ok(html.includes('<a href="https://atlas.mitre.org/techniques/AML.T0011" data-external>AML.T0011</a>'));
    assert.ok(html.includes('<a href="https://cwe.mitre.org/data/definitions/502.html" data-external>CWE-502</a>'));
    assert.ok(html.includes('ML06'));
    assert.ok(html.includes('AML.M0001 Verify artifacts') && html.includes('Use safetensors'));
    assert.ok(html.includes('<code class="language-python">pickle.load(f)</code>'), 'the first rule\'s bad example');
    assert.ok(html.includes('<code class="language-python">json.load(f)</code>'), 'and its good example');
    assert.ok(html.includes('Findings in this workspace (3)'));
    for (let i = 0; i < found.length; i++) assert.ok(html.includes(`data-finding="${i}">${locationLabel(found[i]!)}</a>`));
    assert.ok(html.includes('data-open="rule" data-id="TL108"'), 'links to the rules');
  });

  it('shows a rule with its threats and only its findings', () => {
    const html = ruleDetailsHtml(CATALOG.rules[0]!, index, FINDINGS.filter((f) => f.ruleId === 'TL101'), RES);
    assert.ok(html.includes('<h1>TL101 Unpickling untrusted data</h1>'));
    assert.ok(html.includes('data-open="threat" data-id="MLT-001"'));
    assert.ok(html.includes('<code>pickle.load</code>'), 'inline code in prose');
    assert.ok(html.includes('Findings in this workspace (2)'));
    assert.ok(html.includes('AML.M0001 Verify artifacts'), 'mitigations of its threats');
    const none = ruleDetailsHtml(CATALOG.rules[3]!, index, [], RES);
    assert.ok(none.includes('No findings in this workspace.'));
    assert.ok(none.includes('This rule is not linked to a threat.'));
  });

  it('accepts only well-formed messages from the page and https links', () => {
    assert.ok(isDetailsMessage({ type: 'reveal', index: 0 }));
    assert.ok(isDetailsMessage({ type: 'open', kind: 'threat', id: 'MLT-001' }));
    assert.ok(isDetailsMessage({ type: 'external', url: 'https://atlas.mitre.org/' }));
    for (const bad of [null, 'reveal', { type: 'reveal', index: -1 }, { type: 'reveal', index: 1.5 }, { type: 'open', kind: 'file', id: 'x' },
      { type: 'external', url: 'javascript:alert(1)' }, { type: 'external', url: 'file:///etc/passwd' }, { type: 'run' }]) {
      assert.ok(!isDetailsMessage(bad), JSON.stringify(bad));
    }
    assert.equal(safeUrl('https://example.org/a b'), 'https://example.org/a%20b');
    assert.equal(safeUrl('command:threatlens.scanWorkspace'), undefined);
    assert.equal(safeUrl('/relative'), undefined);
    assert.equal(safeUrl(undefined), undefined);
  });

  it('the stylesheet colours only through VS Code theme variables', () => {
    const css = readFileSync(join(root, 'media', 'details.css'), 'utf8');
    assert.ok(!/#[0-9a-f]{3,8}\b|\brgba?\(|\bhsla?\(/i.test(css), 'no literal colours');
    let checked = 0;
    for (const m of css.matchAll(/(?:^|[;{\s])(color|background-color|border(?:-top|-right|-bottom|-left)?|outline)\s*:\s*([^;]+);/g)) {
      const value = m[2]!;
      if (/\d+px\s+solid|none|0/.test(value) && !/var\(/.test(value)) continue;
      assert.match(value, /var\(--vscode-/, `${m[1]}: ${value}`);
      checked++;
    }
    assert.ok(checked >= 10, `checked ${checked} colour declarations`);
    for (const v of ['--vscode-foreground', '--vscode-editor-background', '--vscode-textLink-foreground', '--vscode-focusBorder']) {
      assert.ok(css.includes(v), v);
    }
    assert.ok(!/url\(|@import/.test(css), 'the stylesheet loads nothing');
  });
});

// ---------------------------------------------------------------------------------------------

interface Contributes {
  commands: { command: string; title: string; category?: string; icon?: string }[];
  menus: Record<string, { command?: string; submenu?: string; when?: string }[]>;
  viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
  views: Record<string, { id: string; name: string }[]>;
  viewsWelcome: { view: string; contents: string }[];
  walkthroughs: { id: string; steps: { id: string; media: { markdown?: string }; description: string }[] }[];
}

describe('package.json: the ThreatLens sidebar', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: Contributes; activationEvents: string[] };
  const c = pkg.contributes;
  const commandIds = new Set(c.commands.map((x) => x.command));

  it('declares the activity-bar container with the Findings and Threat Catalog views', () => {
    const container = c.viewsContainers.activitybar.find((v) => v.id === 'threatlens');
    assert.ok(container, 'the threatlens container');
    assert.equal(container.title, 'ThreatLens');
    const svg = readFileSync(join(root, container.icon), 'utf8');
    assert.match(svg, /currentColor/, 'the icon follows the theme');
    assert.deepEqual(c.views.threatlens!.map((v) => [v.id, v.name]), [
      ['threatlens.findings', 'Findings'],
      ['threatlens.catalog', 'Threat Catalog'],
    ]);
    assert.ok(pkg.activationEvents.includes('onView:threatlens.findings'));
    assert.ok(pkg.activationEvents.includes('onView:threatlens.catalog'));
    assert.ok(c.viewsWelcome.some((w) => w.view === 'threatlens.findings' && w.contents.includes(`command:${Commands.scanWorkspace}`)));
  });

  it('menus only name contributed commands', () => {
    for (const [menu, items] of Object.entries(c.menus)) {
      for (const item of items) if (item.command) assert.ok(commandIds.has(item.command), `${menu}: ${item.command}`);
    }
    const itemMenu = c.menus['view/item/context']!.map((i) => i.command);
    for (const id of [Commands.applyFix, Commands.ignoreFinding, Commands.openDetails, Commands.copyAsMarkdown]) {
      assert.ok(itemMenu.includes(id), id);
    }
  });

  it('the walkthrough has 4 to 5 steps whose markdown ships in media/', () => {
    const walk = c.walkthroughs[0]!;
    assert.ok(walk.steps.length >= 4 && walk.steps.length <= 5);
    for (const step of walk.steps) {
      assert.ok(step.media.markdown?.startsWith('media/walkthrough/'), step.id);
      assert.ok(existsSync(join(root, step.media.markdown!)), step.media.markdown);
    }
    const settings = readFileSync(join(root, 'media/walkthrough/fix-on-save.md'), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(settings)?.[1];
    assert.ok(json, 'the fix-on-save step shows settings JSON');
    assert.deepEqual(JSON.parse(json), { '[python]': { 'editor.codeActionsOnSave': { 'source.fixAll.threatlens': 'explicit' } } });
  });
});

describe('manifest file names: client patterns agree with the server', () => {
  // picomatch ships no type declarations; this is the one call used here.
  const picomatch = require('picomatch') as (globs: string[], options?: { dot?: boolean }) => (path: string) => boolean;
  const matches = picomatch(MANIFEST_PATTERNS, { dot: true });
  const names = [
    'requirements.txt', 'requirements-dev.txt', 'dev-requirements.txt', 'requirements_gpu.in', 'base.requirements.txt',
    'constraints.txt', 'constraints-3.7.txt', 'pyproject.toml', 'setup.cfg', 'Pipfile', 'Pipfile.lock', 'environment.yml',
    'environment-gpu.yaml', 'poetry.lock', 'uv.lock', 'setup.py', 'train.py', 'notes.txt', 'README.md', 'config.yml',
  ];
  for (const name of names) {
    it(name, () => {
      const server = manifestKindOf(name);
      const serverReads = server !== undefined && server !== 'setup-py';
      assert.equal(matches(`proj/${name}`), serverReads, `document selector / watcher pattern for ${name}`);
      assert.equal(isScannablePath(`proj/${name}`), serverReads || /\.(py|ipynb)$/.test(name), `isScannablePath(${name})`);
    });
  }
});
