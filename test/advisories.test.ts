/**
 * The advisory database (bundled snapshot and its generator), CVSS scoring, and the optional OSV
 * lookup against a fake OSV server on loopback.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

import Ajv2020 from 'ajv/dist/2020';

import {
  AdvisoryDb,
  advisoryUrl,
  describeAdvisory,
  type Advisory,
  type AdvisoryData,
} from '../server/src/engine/deps/advisories';
import { cvssBaseScore, severityOfScore } from '../server/src/engine/deps/cvss';
import { defaultCacheDir, eventsToRanges, lookupOsv, osvToAdvisory } from '../server/src/engine/deps/osv';

const root = resolve(__dirname, '..');
const dataFile = join(root, 'threat-catalog', 'advisories.json');
const sharedRoot = process.env.THREATLENS_SHARED
  ? resolve(process.env.THREATLENS_SHARED)
  : resolve(root, '..', 'shared');
const hasShared = existsSync(join(sharedRoot, 'data', 'advisories', 'vulns'));

const scratch = mkdtempSync(join(tmpdir(), 'threatlens-advisories-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let scratchCount = 0;
function scratchDir(): string {
  const dir = join(scratch, String(scratchCount++));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const ids = (list: readonly Advisory[]) => list.map((a) => a.id).sort();
const spec = (text: string) =>
  text.split(',').map((part) => {
    const m = /^\s*(===|==|!=|<=|>=|~=|<|>)\s*(\S+)\s*$/.exec(part)!;
    return { op: m[1], version: m[2] };
  });

// ---------------------------------------------------------------------------------------------

describe('advisories.json', () => {
  const data = JSON.parse(readFileSync(dataFile, 'utf8'));

  it('matches its JSON schema, and the schema rejects a record with prose in it', () => {
    const schema = JSON.parse(readFileSync(join(root, 'threat-catalog', 'schema', 'advisories.schema.json'), 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const validate = ajv.compile(schema);
    assert.ok(validate(data), ajv.errorsText(validate.errors));
    const withDetails = JSON.parse(JSON.stringify(data));
    withDetails.packages.torch[0].details = 'text';
    assert.equal(validate(withDetails), false);
  });

  it('records its source, licence, snapshot and counts, and no clock time', () => {
    assert.equal(data.snapshot, '2024-10-10');
    assert.equal(data.source.license, 'CC-BY-4.0');
    assert.equal(data.source.url, 'https://github.com/pypa/advisory-database');
    assert.equal(data.source.commit, '3ccb612573e2511ab5cad7dafecd838605c80cda');
    assert.match(data.source.attribution, /Python Packaging Advisory Database/);
    assert.deepEqual(data.counts, { packages: 35, advisories: 1023, ids: 1023, cves: 481, withdrawn: 1 });
    assert.equal(data.generated.inputFiles, 1023);
    assert.doesNotMatch(JSON.stringify(data.generated), /\d{4}-\d{2}-\d{2}T/);
  });

  it('keeps no advisory text and stores one advisory per line', () => {
    const text = readFileSync(dataFile, 'utf8');
    assert.doesNotMatch(text, /"details"|"summary"|"references"/);
    assert.ok(text.includes('\n      {"id":"PYSEC-2020-176","aliases":["CVE-2019-20477","GHSA-3pqx-4fqf-j49f"],'));
  });

  it('is up to date with the shared snapshot (node scripts/gen-advisories.mjs --check)', (t) => {
    if (!hasShared) {
      t.skip(`no shared advisory snapshot at ${join('..', 'shared', 'data', 'advisories')}; set THREATLENS_SHARED to run`);
      return;
    }
    const r = spawnSync(process.execPath, ['scripts/gen-advisories.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, THREATLENS_SHARED: sharedRoot },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /is up to date/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('gen-advisories.mjs on a small source folder', () => {
  const yamlFiles: Record<string, string> = {
    'demo-pkg/PYSEC-2099-2.yaml': `id: PYSEC-2099-2
details: Prose that must not be copied.
summary: Neither this.
affected:
- package:
    name: Demo_Pkg
    ecosystem: PyPI
  ranges:
  - type: GIT
    repo: https://example.invalid/repo
    events:
    - introduced: "0"
    - fixed: abcdef
  - type: ECOSYSTEM
    events:
    - fixed: 1.10
    - introduced: "2.0"
    - introduced: "0"
    - last_affected: 2.3.1
- package:
    name: demo-pkg
    ecosystem: npm
  ranges:
  - type: SEMVER
    events:
    - introduced: "0"
aliases:
- GHSA-zzzz-yyyy-xxxx
- CVE-2099-0002
modified: '2099-01-05T10:00:00Z'
published: '2099-01-02T10:00:00Z'
severity:
- type: CVSS_V3
  score: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
`,
    'demo-pkg/PYSEC-2099-10.yaml': `id: PYSEC-2099-10
details: x
affected:
- package:
    name: demo-pkg
    ecosystem: PyPI
  versions:
  - '1.0'
  - 0.9
modified: '2099-02-01T00:00:00Z'
`,
    'demo-pkg/PYSEC-2099-1.yaml': `id: PYSEC-2099-1
details: x
withdrawn: '2099-03-01T00:00:00Z'
affected:
- package:
    name: demo-pkg
    ecosystem: PyPI
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: '0'
aliases: []
modified: '2099-03-01T00:00:00Z'
published: '2099-01-01T00:00:00Z'
`,
  };

  function makeSource(withReadme: boolean): string {
    const dir = scratchDir();
    for (const [rel, text] of Object.entries(yamlFiles)) {
      mkdirSync(join(dir, 'vulns', rel.split('/')[0]), { recursive: true });
      writeFileSync(join(dir, 'vulns', rel), text);
    }
    if (withReadme) {
      writeFileSync(join(dir, 'README.md'), `Commit: \`${'a'.repeat(40)}\`\nCommit date: 2099-04-01\n`);
    }
    return dir;
  }

  function run(...args: string[]) {
    return spawnSync(process.execPath, ['scripts/gen-advisories.mjs', ...args], { cwd: root, encoding: 'utf8' });
  }

  it('turns events into intervals, keeps facts only, and sorts ids numerically', () => {
    const src = makeSource(true);
    const out = join(scratchDir(), 'out.json');
    const r = run('--source', src, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(out, 'utf8');
    assert.doesNotMatch(text, /Prose|Neither/);
    const data = JSON.parse(text);
    assert.equal(data.snapshot, '2099-04-01');
    assert.equal(data.source.commit, 'a'.repeat(40));
    assert.deepEqual(data.counts, { packages: 1, advisories: 3, ids: 3, cves: 1, withdrawn: 1 });
    assert.deepEqual(Object.keys(data.packages), ['demo-pkg'], 'npm entry ignored, name normalised');
    const list = data.packages['demo-pkg'];
    assert.deepEqual(
      list.map((a: { id: string }) => a.id),
      ['PYSEC-2099-1', 'PYSEC-2099-2', 'PYSEC-2099-10'],
    );
    assert.deepEqual(list[0], {
      id: 'PYSEC-2099-1',
      aliases: [],
      published: '2099-01-01',
      modified: '2099-03-01',
      withdrawn: '2099-03-01',
      ranges: [{}],
      fixed: [],
    });
    assert.deepEqual(list[1], {
      id: 'PYSEC-2099-2',
      aliases: ['CVE-2099-0002', 'GHSA-zzzz-yyyy-xxxx'],
      published: '2099-01-02',
      modified: '2099-01-05',
      // `1.10` stays the string 1.10 (not the number 1.1); events are taken in version order.
      ranges: [{ fixed: '1.10' }, { introduced: '2.0', last_affected: '2.3.1' }],
      fixed: ['1.10'],
      cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    });
    assert.deepEqual(list[2], {
      id: 'PYSEC-2099-10',
      aliases: [],
      published: '2099-02-01',
      modified: '2099-02-01',
      ranges: [],
      versions: ['0.9', '1.0'],
      fixed: [],
    });
  });

  it('falls back to the newest modified date without a README, and --check reports staleness', () => {
    const src = makeSource(false);
    const out = join(scratchDir(), 'out.json');
    assert.equal(run('--source', src, '--out', out).status, 0);
    const data = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(data.snapshot, '2099-03-01');
    assert.equal(data.source.commit, undefined);

    const ok = run('--check', '--source', src, '--out', out);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /is up to date/);
    const again = readFileSync(out, 'utf8');
    assert.equal(again, readFileSync(out, 'utf8'));

    writeFileSync(out, readFileSync(out, 'utf8').replace('"1.10"', '"1.11"'));
    const stale = run('--check', '--source', src, '--out', out);
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /is out of date; run: node scripts\/gen-advisories\.mjs/);
    assert.match(stale.stderr, /first difference at line \d+/);
  });

  it('is reproducible: two runs give the same bytes', () => {
    const src = makeSource(true);
    const a = join(scratchDir(), 'a.json');
    const b = join(scratchDir(), 'b.json');
    run('--source', src, '--out', a);
    run('--source', src, '--out', b);
    assert.equal(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
  });

  it('fails with a clear message when the source folder is missing or broken', () => {
    const missing = join(scratch, 'does-not-exist');
    const r = run('--source', missing, '--out', join(scratchDir(), 'x.json'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /advisory source folder not found: .*does-not-exist/);
    const c = run('--check', '--source', missing);
    assert.equal(c.status, 1, 'an explicit --source must exist even with --check');

    const bad = makeSource(true);
    writeFileSync(join(bad, 'vulns', 'demo-pkg', 'PYSEC-2099-3.yaml'), 'id: PYSEC-2099-3\naffected:\n- package: {name: demo-pkg, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - fixed: not-a-version\nmodified: 2099-01-01\n');
    const b = run('--source', bad, '--out', join(scratchDir(), 'y.json'));
    assert.equal(b.status, 2);
    assert.match(b.stderr, /demo-pkg\/PYSEC-2099-3\.yaml affected\[0\] fixed: not a PEP 440 version: "not-a-version"/);
    assert.match(run('--bogus').stderr, /unknown argument --bogus/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('AdvisoryDb on the bundled snapshot', () => {
  const db = AdvisoryDb.bundled();

  it('knows its snapshot and counts (withdrawn advisories not counted)', () => {
    assert.equal(db.snapshot, '2024-10-10');
    assert.equal(db.packageCount, 35);
    assert.equal(db.advisoryCount, 1022);
    assert.match(db.attribution ?? '', /CC-BY-4\.0/);
    assert.equal(AdvisoryDb.bundled(), db, 'loaded once');
  });

  it('answers has() with PEP 503 normalised names', () => {
    assert.equal(db.has('PyYAML'), true);
    assert.equal(db.has('Jupyter_Server'), true);
    assert.equal(db.has('tensorflow-cpu'), true);
    assert.equal(db.has('keras'), false);
    assert.equal(db.has('transformers'), false);
  });

  it('torch: 1.13.0 and 1.0.0+cpu affected by PYSEC-2022-43015, 1.13.1 not', () => {
    assert.deepEqual(ids(db.affecting('torch', '1.13.0')), ['PYSEC-2022-43015']);
    assert.deepEqual(ids(db.affecting('torch', '1.0.0+cpu')), ['PYSEC-2022-43015']);
    assert.deepEqual(ids(db.affecting('torch', '1.13.1')), []);
    assert.deepEqual(ids(db.affecting('torch', '2.4.0')), []);
    const [a] = db.affecting('Torch', '1.12.1');
    assert.deepEqual(a.aliases, ['CVE-2022-45907']);
    assert.equal(a.package, 'torch');
    assert.equal(a.source, 'offline');
    assert.deepEqual(a.fixed, ['1.13.1']);
  });

  it('pyyaml: 5.1 is affected by PYSEC-2020-176 (fixed in 5.2b1) and two more; 5.2b1 only by the others', () => {
    assert.deepEqual(ids(db.affecting('pyyaml', '5.1')), ['PYSEC-2020-176', 'PYSEC-2020-96', 'PYSEC-2021-142']);
    assert.deepEqual(ids(db.affecting('PyYAML', '5.1.2')), ['PYSEC-2020-176', 'PYSEC-2020-96', 'PYSEC-2021-142']);
    assert.deepEqual(ids(db.affecting('pyyaml', '5.2b1')), ['PYSEC-2020-96', 'PYSEC-2021-142']);
    assert.deepEqual(ids(db.affecting('pyyaml', '5.0')), ['PYSEC-2018-49', 'PYSEC-2021-142']);
    assert.deepEqual(ids(db.affecting('pyyaml', '5.4')), []);
    assert.deepEqual(ids(db.affecting('pyyaml', '6.0.1')), []);
    const a = db.all('pyyaml').find((x) => x.id === 'PYSEC-2020-176')!;
    assert.deepEqual(a.ranges, [{ introduced: '5.1', fixed: '5.2b1' }]);
    assert.equal(a.published, '2020-02-19');
    assert.equal(a.modified, '2020-03-01');
  });

  it('tensorflow: ranges with pre-release ends (PYSEC-2021-150 fixed in 2.2.0rc0, reintroduced in 2.2.0)', () => {
    const has150 = (v: string) => db.affecting('tensorflow', v).some((a) => a.id === 'PYSEC-2021-150');
    assert.equal(has150('2.1.0'), true);
    assert.equal(has150('2.2.0rc0'), false);
    assert.equal(has150('2.2.0rc4'), false);
    assert.equal(has150('2.2.0'), true);
    assert.equal(has150('2.3.0rc0'), false);
    assert.equal(has150('2.3.3'), true);
    assert.equal(has150('2.3.4'), false);
    assert.equal(has150('2.4.2'), true);
    assert.equal(has150('2.5.0'), false);
    // PYSEC-2019-206 is fixed in a release candidate.
    const has206 = (v: string) => db.affecting('tensorflow', v).some((a) => a.id === 'PYSEC-2019-206');
    assert.equal(has206('1.6.0'), true);
    assert.equal(has206('1.7.0rc0'), false);
    assert.equal(db.affecting('tensorflow', '2.1.0').length > 50, true);
  });

  it('tensorflow-cpu and tensorflow-gpu keep their own lists of the same CVE', () => {
    const cve = (name: string) => db.affecting(name, '2.4.0').filter((a) => a.aliases.includes('CVE-2021-29513'));
    assert.deepEqual(ids(cve('tensorflow')), ['PYSEC-2021-150']);
    assert.deepEqual(ids(cve('tensorflow-cpu')), ['PYSEC-2021-441']);
    assert.deepEqual(ids(cve('tensorflow-gpu')), ['PYSEC-2021-639']);
  });

  it('pillow: 8.4.0 is affected by the 9.0.0 fixes; a CVSS-less record has no severity', () => {
    const got = ids(db.affecting('pillow', '8.4.0'));
    for (const id of ['PYSEC-2022-8', 'PYSEC-2022-9', 'PYSEC-2022-10', 'PYSEC-2022-168', 'PYSEC-2023-175']) {
      assert.ok(got.includes(id), id);
    }
    assert.ok(!got.includes('PYSEC-2022-42980'), 'introduced in 9.2.0');
    assert.ok(!got.includes('PYSEC-2021-317'), 'fixed in 8.3.2');
    assert.equal(db.affecting('pillow', '8.4.0').find((a) => a.id === 'PYSEC-2022-8')!.severity, undefined);
  });

  it('computes severity from the CVSS vector a record carries', () => {
    const a = db.affecting('aiohttp', '3.8.5').find((x) => x.id === 'PYSEC-2023-246')!;
    assert.deepEqual(a.severity, { level: 'high', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N' });
  });

  it('ignores the withdrawn aiohttp advisory in lookups but keeps it flagged', () => {
    const withdrawn = db.all('aiohttp').find((a) => a.id === 'PYSEC-2022-43059')!;
    assert.equal(withdrawn.withdrawn, '2023-11-08');
    assert.deepEqual(withdrawn.ranges, [{}], 'it would affect every version');
    assert.ok(!db.affecting('aiohttp', '3.8.1').some((a) => a.id === 'PYSEC-2022-43059'));
    assert.deepEqual(ids(db.affecting('aiohttp', '99.0')), []);
    assert.ok(!db.affectingRange('aiohttp', spec('<3.9')).some((a) => a.id === 'PYSEC-2022-43059'));
  });

  it('gives nothing for unknown packages and invalid versions', () => {
    assert.deepEqual(db.affecting('keras', '2.0.0'), []);
    assert.deepEqual(db.affecting('torch', 'latest'), []);
    assert.equal(db.safeUpgrade('torch', 'latest'), undefined);
  });

  it('safeUpgrade: the smallest fixed version that nothing affects, stable before pre-release', () => {
    assert.deepEqual(db.safeUpgrade('torch', '1.13.0'), { version: '1.13.1', clean: true });
    assert.equal(db.safeUpgrade('torch', '1.13.1'), undefined, 'not affected: nothing to do');
    // 5.2b1 and 5.3.1 each fix something but are still affected by PYSEC-2021-142 (fixed in 5.4).
    assert.deepEqual(db.safeUpgrade('pyyaml', '5.1'), { version: '5.4', clean: true });
    assert.deepEqual(db.safeUpgrade('pyyaml', '3.13'), { version: '5.4', clean: true });
    const pillow = db.safeUpgrade('pillow', '8.4.0')!;
    assert.equal(pillow.clean, true);
    assert.deepEqual(db.affecting('pillow', pillow.version), []);
    assert.equal(pillow.version, '10.0.1');
    const tf = db.safeUpgrade('tensorflow', '2.4.0')!;
    assert.equal(tf.clean, true);
    assert.deepEqual(db.affecting('tensorflow', tf.version), []);
  });

  it('affectingRange: pillow<9 can only install versions the 9.0.0 fixes cover', () => {
    assert.deepEqual(ids(db.affectingRange('pillow', spec('<9'))), [
      'PYSEC-2022-10',
      'PYSEC-2022-168',
      'PYSEC-2022-42979',
      'PYSEC-2022-8',
      'PYSEC-2022-9',
      'PYSEC-2023-175',
      'PYSEC-2023-227',
    ]);
    assert.deepEqual(ids(db.affectingRange('pillow', spec('>=8.0,<9,!=8.2.0'))), ids(db.affectingRange('pillow', spec('<9'))));
    assert.deepEqual(ids(db.affectingRange('pillow', spec('>=9.2.0,<9.3'))), [
      'PYSEC-2022-42980',
      'PYSEC-2023-175',
      'PYSEC-2023-227',
    ]);
    assert.deepEqual(ids(db.affectingRange('pillow', spec('~=9.0'))), ['PYSEC-2023-175', 'PYSEC-2023-227']);
    assert.deepEqual(db.affectingRange('pillow', spec('>=9')), [], 'no upper bound');
    assert.deepEqual(db.affectingRange('pillow', spec('<=10.0.1,>=10.0.1')), [], 'the one allowed version is fixed');
    assert.deepEqual(db.affectingRange('pillow', []), []);
  });

  it('affectingRange: pre-release boundaries and a pin', () => {
    // <2.2 leaves out 2.2's release candidates, and PYSEC-2021-150 is fixed in 2.2.0rc0.
    assert.ok(db.affectingRange('tensorflow', spec('<2.2')).some((a) => a.id === 'PYSEC-2021-150'));
    assert.ok(!db.affectingRange('tensorflow', spec('<2.3')).some((a) => a.id === 'PYSEC-2021-150'));
    assert.deepEqual(ids(db.affectingRange('pyyaml', spec('<5.1'))), ['PYSEC-2018-49', 'PYSEC-2021-142']);
    assert.deepEqual(ids(db.affectingRange('pyyaml', spec('==5.1.2'))), ids(db.affecting('pyyaml', '5.1.2')));
  });

  it('advisoryUrl and describeAdvisory', () => {
    const a = db.all('pyyaml').find((x) => x.id === 'PYSEC-2020-176')!;
    assert.equal(advisoryUrl(a), 'https://osv.dev/vulnerability/PYSEC-2020-176');
    assert.equal(describeAdvisory(a), 'PYSEC-2020-176 (CVE-2019-20477, GHSA-3pqx-4fqf-j49f)');
    assert.equal(describeAdvisory({ id: 'PYSEC-2023-175', aliases: [] }), 'PYSEC-2023-175');
  });
});

describe('AdvisoryDb on hand-made data', () => {
  const data: AdvisoryData = {
    snapshot: '2099-01-01',
    packages: {
      Demo_Pkg: [
        { id: 'X-1', aliases: ['CVE-1'], published: '2099-01-01', ranges: [{ introduced: '1.0', last_affected: '1.4' }], fixed: [] },
        { id: 'X-2', aliases: [], published: '2099-01-01', ranges: [{ fixed: '1.2' }, { introduced: '1.2', fixed: '1.6' }], fixed: ['1.2', '1.6'] },
        { id: 'X-3', aliases: [], published: '2099-01-01', ranges: [{ introduced: '2.0' }], fixed: [] },
        { id: 'X-4', aliases: [], published: '2099-01-01', ranges: [], versions: ['3.0', '3.1'], fixed: [] },
      ],
    },
  };
  const db = AdvisoryDb.from(data);

  it('handles last_affected, open-ended ranges and plain version lists', () => {
    assert.deepEqual(ids(db.affecting('demo-pkg', '1.4')), ['X-1', 'X-2']);
    assert.deepEqual(ids(db.affecting('demo-pkg', '1.4.post1')), ['X-2']);
    assert.deepEqual(ids(db.affecting('demo-pkg', '1.6')), []);
    assert.deepEqual(ids(db.affecting('demo-pkg', '2.0')), ['X-3']);
    assert.deepEqual(ids(db.affecting('demo-pkg', '3.0.0')), ['X-3', 'X-4']);
    assert.deepEqual(ids(db.affecting('demo-pkg', '3.0a1')), ['X-3']);
  });

  it('safeUpgrade says clean: false when every fix is still affected by something', () => {
    assert.deepEqual(db.safeUpgrade('demo-pkg', '1.3'), { version: '1.6', clean: true });
    // 2.5 is hit by X-3 which has no fix at all.
    assert.equal(db.safeUpgrade('demo-pkg', '2.5'), undefined);
    const noClean = AdvisoryDb.from({
      snapshot: 'x',
      packages: {
        p: [
          { id: 'A', aliases: [], published: 'x', ranges: [{ fixed: '2.0' }], fixed: ['2.0'] },
          { id: 'B', aliases: [], published: 'x', ranges: [{ introduced: '1.5' }], fixed: [] },
        ],
      },
    });
    assert.deepEqual(noClean.safeUpgrade('p', '1.6'), { version: '2.0', clean: false });
    assert.deepEqual(noClean.safeUpgrade('p', '1.0'), { version: '2.0', clean: false });
  });

  it('safeUpgrade proposes a fixed pre-release only when nothing stable is clean', () => {
    const pre = AdvisoryDb.from({
      snapshot: 'x',
      packages: {
        p: [
          { id: 'A', aliases: [], published: 'x', ranges: [{ fixed: '2.0rc1' }], fixed: ['2.0rc1'] },
          { id: 'B', aliases: [], published: 'x', ranges: [{ fixed: '1.9.1' }], fixed: ['1.9.1'] },
        ],
      },
    });
    assert.deepEqual(pre.safeUpgrade('p', '1.0'), { version: '2.0rc1', clean: true });
    const both = AdvisoryDb.from({
      snapshot: 'x',
      packages: { p: [{ id: 'A', aliases: [], published: 'x', ranges: [{ fixed: '2.0rc1' }, { introduced: '2.0rc2', fixed: '2.0.1' }], fixed: ['2.0rc1', '2.0.1'] }] },
    });
    assert.deepEqual(both.safeUpgrade('p', '1.0'), { version: '2.0.1', clean: true });
    assert.deepEqual(both.safeUpgrade('p', '2.0rc0'), { version: '2.0rc1', clean: true }, 'already on a pre-release');
  });

  it('affectingRange merges touching ranges and understands last_affected', () => {
    assert.deepEqual(ids(db.affectingRange('demo-pkg', spec('<1.5'))), ['X-2'], '[0,1.2) and [1.2,1.6) touch');
    assert.deepEqual(ids(db.affectingRange('demo-pkg', spec('>=1.0,<=1.4'))), ['X-1', 'X-2']);
    assert.deepEqual(ids(db.affectingRange('demo-pkg', spec('>=1.0,<1.5'))), ['X-2']);
    assert.deepEqual(ids(db.affectingRange('demo-pkg', spec('>=2.1,<3'))), ['X-3']);
    assert.deepEqual(ids(db.affectingRange('demo-pkg', spec('==3.1'))), ['X-3', 'X-4']);
  });

  it('withExtra adds online advisories, replaces same-id ones and drops alias twins', () => {
    const online = (over: Partial<Advisory>): Advisory => ({
      id: 'GHSA-new',
      aliases: [],
      package: 'Demo.Pkg',
      published: '2099-02-01',
      ranges: [{ introduced: '1.6', fixed: '1.7' }],
      fixed: ['1.7'],
      source: 'osv',
      ...over,
    });
    const more = db.withExtra([
      online({}),
      online({ id: 'GHSA-twin', aliases: ['CVE-1'], severity: { level: 'critical', score: 9.8 } }),
      online({ id: 'X-3', ranges: [{ introduced: '2.0', fixed: '2.1' }], fixed: ['2.1'] }),
      online({ id: 'GHSA-other', package: 'other-pkg' }),
    ]);
    assert.equal(db.advisoryCount, 4, 'the original is unchanged');
    assert.equal(more.advisoryCount, 6);
    assert.equal(more.packageCount, 2);
    assert.deepEqual(ids(more.affecting('demo-pkg', '1.6.5')), ['GHSA-new']);
    assert.equal(more.affecting('demo-pkg', '1.6.5')[0].package, 'demo-pkg');
    const x1 = more.affecting('demo-pkg', '1.1').find((a) => a.id === 'X-1')!;
    assert.deepEqual(x1.severity, { level: 'critical', score: 9.8 }, 'severity lent by the alias twin');
    assert.ok(!more.all('demo-pkg').some((a) => a.id === 'GHSA-twin'));
    assert.deepEqual(ids(more.affecting('demo-pkg', '2.5')), [], 'X-3 replaced by its newer copy');
    assert.equal(more.all('demo-pkg').find((a) => a.id === 'X-3')!.source, 'osv');
    assert.equal(more.has('other-pkg'), true);
    assert.equal(more.snapshot, '2099-01-01');
  });
});

// ---------------------------------------------------------------------------------------------

describe('cvss', () => {
  it('scores CVSS v3.1 and v3.0 base vectors like the specification', () => {
    const cases: [string, number][] = [
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H', 5.5],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:H', 8.1],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N', 7.5],
      ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 5.5],
      ['CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
      ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C', 9.8],
    ];
    for (const [vector, score] of cases) assert.equal(cvssBaseScore(vector), score, vector);
  });

  it('refuses vectors it cannot score', () => {
    for (const v of [
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
      'AV:N/AC:L/Au:N/C:P/I:P/A:P',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H',
      'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:X',
      '',
    ]) {
      assert.equal(cvssBaseScore(v), undefined, v);
    }
  });

  it('maps scores to levels', () => {
    assert.deepEqual(
      [0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityOfScore),
      ['low', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical'],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A fake OSV server on loopback.

interface Recorded {
  method: string;
  path: string;
  body: unknown;
}

type Reply = { status?: number; json?: unknown; raw?: string } | 'hang';

async function startServer(handle: (req: Recorded) => Reply): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const rec: Recorded = { method: req.method ?? '', path: req.url ?? '', body: text ? JSON.parse(text) : undefined };
      requests.push(rec);
      const reply = handle(rec);
      if (reply === 'hang') return;
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.end(reply.raw ?? JSON.stringify(reply.json));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

const GHSA = {
  id: 'GHSA-aaaa-bbbb-cccc',
  aliases: ['CVE-2099-1111', 'PYSEC-2099-7'],
  published: '2099-05-01T12:00:00Z',
  modified: '2099-05-03T12:00:00Z',
  details: 'ignored',
  affected: [
    {
      package: { name: 'Demo_Pkg', ecosystem: 'PyPI' },
      ranges: [
        { type: 'GIT', repo: 'https://example.invalid', events: [{ introduced: '0' }, { fixed: 'abc' }] },
        { type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { fixed: '1.5' }, { introduced: '0' }, { last_affected: '2.1' }] },
      ],
      versions: ['1.0'],
    },
    { package: { name: 'demo-pkg', ecosystem: 'npm' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] },
  ],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
};
const PYSEC = {
  id: 'PYSEC-2099-8',
  modified: '2099-06-01T00:00:00Z',
  affected: [{ package: { name: 'demo-pkg', ecosystem: 'PyPI' }, versions: ['1.0', '0.9', 'junk'] }],
  database_specific: { severity: 'MODERATE' },
};
const OTHER = {
  id: 'GHSA-other',
  published: '2099-07-01T00:00:00Z',
  modified: '2099-07-01T00:00:00Z',
  affected: [{ package: { name: 'other', ecosystem: 'PyPI' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '9' }] }] }],
};
const RECORDS: Record<string, unknown> = { [GHSA.id]: GHSA, [PYSEC.id]: PYSEC, [OTHER.id]: OTHER };

/** A well-behaved OSV: demo-pkg answers in two pages, `other` in one. */
function goodOsv(req: Recorded): Reply {
  if (req.method === 'POST' && req.path === '/v1/querybatch') {
    const queries = (req.body as { queries: { package: { name: string }; version: string; page_token?: string }[] }).queries;
    return {
      json: {
        results: queries.map((q) => {
          if (q.package.name === 'demo-pkg' && q.page_token === undefined) {
            return { vulns: [{ id: GHSA.id, modified: GHSA.modified }], next_page_token: 'page-2' };
          }
          if (q.package.name === 'demo-pkg' && q.page_token === 'page-2') return { vulns: [{ id: PYSEC.id, modified: PYSEC.modified }] };
          if (q.package.name === 'other') return { vulns: [{ id: OTHER.id, modified: OTHER.modified }] };
          return {};
        }),
      },
    };
  }
  const m = /^\/v1\/vulns\/(.+)$/.exec(req.path);
  if (req.method === 'GET' && m && RECORDS[decodeURIComponent(m[1])]) return { json: RECORDS[decodeURIComponent(m[1])] };
  return { status: 404, json: { code: 5, message: 'Bug not found' } };
}

const QUERIES = [
  { name: 'Demo_Pkg', version: '1.0' },
  { name: 'other', version: '1.0' },
  { name: 'demo.pkg', version: '1.0' }, // same query after normalisation
  { name: 'clean', version: '2.0' },
];

describe('lookupOsv against a local OSV server', () => {
  const servers: { close(): Promise<void> }[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  async function server(handle: (req: Recorded) => Reply) {
    const s = await startServer(handle);
    servers.push(s);
    return s;
  }

  it('queries in a batch, follows the page token, fetches each record once and converts it', async () => {
    const osv = await server(goodOsv);
    const r = await lookupOsv(QUERIES, { baseUrl: osv.url, cacheDir: scratchDir() });
    assert.equal(r.error, undefined);
    assert.deepEqual({ online: r.online, cached: r.cached, failed: r.failed }, { online: 3, cached: 0, failed: 0 });
    const batches = osv.requests.filter((q) => q.path === '/v1/querybatch');
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[0].body, {
      queries: [
        { package: { name: 'demo-pkg', ecosystem: 'PyPI' }, version: '1.0' },
        { package: { name: 'other', ecosystem: 'PyPI' }, version: '1.0' },
        { package: { name: 'clean', ecosystem: 'PyPI' }, version: '2.0' },
      ],
    });
    assert.deepEqual(batches[1].body, {
      queries: [{ package: { name: 'demo-pkg', ecosystem: 'PyPI' }, version: '1.0', page_token: 'page-2' }],
    });
    assert.deepEqual(
      osv.requests.filter((q) => q.method === 'GET').map((q) => q.path).sort(),
      ['/v1/vulns/GHSA-aaaa-bbbb-cccc', '/v1/vulns/GHSA-other', '/v1/vulns/PYSEC-2099-8'],
    );

    const byId = new Map(r.advisories.map((a) => [a.id, a]));
    assert.equal(r.advisories.length, 3);
    assert.deepEqual(byId.get(GHSA.id), {
      id: 'GHSA-aaaa-bbbb-cccc',
      aliases: ['CVE-2099-1111', 'PYSEC-2099-7'],
      package: 'demo-pkg',
      published: '2099-05-01',
      modified: '2099-05-03',
      ranges: [{ fixed: '1.5' }, { introduced: '2.0', last_affected: '2.1' }],
      fixed: ['1.5'],
      severity: { level: 'critical', score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      source: 'osv',
    });
    assert.deepEqual(byId.get(PYSEC.id), {
      id: 'PYSEC-2099-8',
      aliases: [],
      package: 'demo-pkg',
      published: '2099-06-01',
      modified: '2099-06-01',
      ranges: [],
      versions: ['0.9', '1.0'],
      fixed: [],
      severity: { level: 'medium' },
      source: 'osv',
    });
    assert.equal(byId.get('GHSA-other')!.package, 'other');

    // Layered over the bundled database, the online records become visible to the lookups.
    const db = AdvisoryDb.bundled().withExtra(r.advisories);
    assert.deepEqual(ids(db.affecting('demo-pkg', '1.0')), ['GHSA-aaaa-bbbb-cccc', 'PYSEC-2099-8']);
    assert.deepEqual(ids(db.affecting('demo-pkg', '2.1')), ['GHSA-aaaa-bbbb-cccc']);
    assert.deepEqual(ids(db.affecting('demo-pkg', '1.5')), []);
  });

  it('answers a second lookup from the disk cache, and asks again after the TTL', async () => {
    const osv = await server(goodOsv);
    const cacheDir = scratchDir();
    await lookupOsv(QUERIES, { baseUrl: osv.url, cacheDir });
    const first = osv.requests.length;
    assert.equal(first, 5);
    assert.deepEqual(readdirSync(join(cacheDir, 'vulns')).sort(), [
      'GHSA-aaaa-bbbb-cccc.json',
      'GHSA-other.json',
      'PYSEC-2099-8.json',
    ]);
    assert.ok(readdirSync(join(cacheDir, 'queries')).includes('demo-pkg%401.0.json'));

    const again = await lookupOsv(QUERIES, { baseUrl: osv.url, cacheDir });
    assert.equal(osv.requests.length, first, 'no request');
    assert.deepEqual({ online: again.online, cached: again.cached, failed: again.failed }, { online: 0, cached: 3, failed: 0 });
    assert.deepEqual(ids(again.advisories), ['GHSA-aaaa-bbbb-cccc', 'GHSA-other', 'PYSEC-2099-8']);

    // Expired: the batch is asked again; records whose `modified` did not change are not re-fetched.
    const expired = await lookupOsv(QUERIES, { baseUrl: osv.url, cacheDir, ttlMs: 0 });
    const newRequests = osv.requests.slice(first).map((q) => `${q.method} ${q.path}`);
    assert.deepEqual(newRequests, ['POST /v1/querybatch', 'POST /v1/querybatch']);
    assert.equal(expired.online, 3);
    assert.equal(expired.advisories.length, 3);
  });

  it('ignores corrupted cache files', async () => {
    const osv = await server(goodOsv);
    const cacheDir = scratchDir();
    mkdirSync(join(cacheDir, 'queries'), { recursive: true });
    mkdirSync(join(cacheDir, 'vulns'), { recursive: true });
    writeFileSync(join(cacheDir, 'queries', 'demo-pkg%401.0.json'), '{"at": 1, "val');
    writeFileSync(join(cacheDir, 'vulns', 'GHSA-aaaa-bbbb-cccc.json'), JSON.stringify({ at: Date.now(), value: [1, 2] }));
    const r = await lookupOsv([{ name: 'demo-pkg', version: '1.0' }], { baseUrl: osv.url, cacheDir });
    assert.equal(r.error, undefined);
    assert.equal(r.online, 1);
    assert.deepEqual(ids(r.advisories), ['GHSA-aaaa-bbbb-cccc', 'PYSEC-2099-8']);
    assert.ok(osv.requests.some((q) => q.path === '/v1/vulns/GHSA-aaaa-bbbb-cccc'));
  });

  it('keeps answers in memory when there is no cache folder', async () => {
    const osv = await server(goodOsv);
    await lookupOsv([{ name: 'other', version: '3.0' }], { baseUrl: osv.url });
    const n = osv.requests.length;
    const again = await lookupOsv([{ name: 'other', version: '3.0' }], { baseUrl: osv.url });
    assert.equal(osv.requests.length, n);
    assert.equal(again.cached, 1);
    assert.deepEqual(ids(again.advisories), ['GHSA-other']);
  });

  it('gives up at the time limit without throwing when the server hangs', async () => {
    const osv = await server(() => 'hang');
    const started = Date.now();
    const r = await lookupOsv([{ name: 'demo-pkg', version: '1.0' }], { baseUrl: osv.url, timeoutMs: 300 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(r.error, 'timed out after 300 ms; used the offline snapshot of 2024-10-10');
    assert.deepEqual({ online: r.online, cached: r.cached, failed: r.failed }, { online: 0, cached: 0, failed: 1 });
    assert.deepEqual(r.advisories, []);
  });

  it('reports HTTP errors and invalid JSON, and falls back to whatever is cached', async () => {
    const broken = await server(() => ({ status: 500, raw: 'oops' }));
    const r = await lookupOsv([{ name: 'demo-pkg', version: '1.0' }], { baseUrl: broken.url });
    assert.equal(r.error, 'OSV answered HTTP 500 to /v1/querybatch; used the offline snapshot of 2024-10-10');
    assert.equal(r.failed, 1);

    const garbled = await server(() => ({ raw: '{"results": [' }));
    const g = await lookupOsv([{ name: 'demo-pkg', version: '1.0' }], { baseUrl: garbled.url });
    assert.match(g.error ?? '', /^OSV sent an answer that is not JSON \(\/v1\/querybatch\)/);

    // A record endpoint failing after a good batch answer.
    const halfway = await server((req) => (req.path === '/v1/querybatch' ? goodOsv(req) : { status: 503, raw: '' }));
    const h = await lookupOsv([{ name: 'other', version: '1.0' }], { baseUrl: halfway.url });
    assert.match(h.error ?? '', /^OSV answered HTTP 503 to \/v1\/vulns\/GHSA-other/);
    assert.equal(h.failed, 1);

    // Cached (even expired) answers are used when the network fails.
    const good = await server(goodOsv);
    const cacheDir = scratchDir();
    await lookupOsv([{ name: 'demo-pkg', version: '1.0' }], { baseUrl: good.url, cacheDir });
    const fallback = await lookupOsv([{ name: 'demo-pkg', version: '1.0' }], { baseUrl: broken.url, cacheDir, ttlMs: 0 });
    assert.equal(fallback.error, 'OSV answered HTTP 500 to /v1/querybatch; used cached OSV answers and the offline snapshot of 2024-10-10');
    assert.deepEqual({ online: fallback.online, cached: fallback.cached, failed: fallback.failed }, { online: 0, cached: 1, failed: 0 });
    assert.deepEqual(ids(fallback.advisories), ['GHSA-aaaa-bbbb-cccc', 'PYSEC-2099-8']);
  });

  it('reports a refused connection', async () => {
    const gone = await startServer(goodOsv);
    await gone.close();
    const r = await lookupOsv([{ name: 'demo-pkg', version: '1.0' }], { baseUrl: gone.url, timeoutMs: 3000 });
    assert.equal(r.error, `could not reach ${gone.url} (ECONNREFUSED); used the offline snapshot of 2024-10-10`);
    assert.equal(r.failed, 1);
  });

  it('makes no request for an empty query list', async () => {
    const osv = await server(goodOsv);
    const r = await lookupOsv([], { baseUrl: osv.url });
    assert.deepEqual(r, { advisories: [], online: 0, cached: 0, failed: 0 });
    assert.equal(osv.requests.length, 0);
  });
});

describe('OSV helpers', () => {
  it('eventsToRanges sorts events by version and skips non-PEP 440 ones', () => {
    assert.deepEqual(eventsToRanges([{ fixed: '2.0' }, { introduced: '0' }, { introduced: '3.0' }]), [{ fixed: '2.0' }, { introduced: '3.0' }]);
    assert.deepEqual(eventsToRanges([{ introduced: '1.0' }, { fixed: 'deadbeef' }]), [{ introduced: '1.0' }]);
    assert.deepEqual(eventsToRanges('nonsense'), []);
  });

  it('osvToAdvisory only converts records naming the package', () => {
    assert.equal(osvToAdvisory(GHSA, 'other'), undefined);
    assert.equal(osvToAdvisory({ nope: true }, 'demo-pkg'), undefined);
    assert.equal(osvToAdvisory(GHSA, 'DEMO.pkg')!.package, 'demo-pkg');
    assert.deepEqual(osvToAdvisory({ ...PYSEC, withdrawn: '2099-09-09T00:00:00Z' }, 'demo-pkg')!.withdrawn, '2099-09-09');
  });

  it('defaultCacheDir follows XDG_CACHE_HOME, else ~/.cache', () => {
    const saved = process.env.XDG_CACHE_HOME;
    try {
      process.env.XDG_CACHE_HOME = join(scratch, 'xdg');
      assert.equal(defaultCacheDir(), join(scratch, 'xdg', 'threatlens', 'osv'));
      delete process.env.XDG_CACHE_HOME;
      assert.equal(defaultCacheDir(), join(homedir(), '.cache', 'threatlens', 'osv'));
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});
