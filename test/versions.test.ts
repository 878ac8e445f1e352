/** PEP 440 ordering and specifier matching (server/src/engine/deps/versions.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  clauseInterval,
  compareVersions,
  inRange,
  isPrerelease,
  isValidVersion,
  pinnedVersion,
  satisfiesClauses,
} from '../server/src/engine/deps/versions';

/** `">=1.0, <2"` → clauses. Test input only; the real parsers produce clauses themselves. */
function spec(text: string): { op: string; version: string }[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const m = /^\s*(===|==|!=|<=|>=|~=|<|>)\s*(\S+)\s*$/.exec(part);
    if (!m) throw new Error(`bad test specifier ${part}`);
    return { op: m[1], version: m[2] };
  });
}

function sat(version: string, specifier: string): boolean {
  return satisfiesClauses(version, spec(specifier));
}

describe('isValidVersion', () => {
  it('accepts every normal spelling PEP 440 allows', () => {
    for (const v of ['1.0', '1.0.0', '1!2.0', '1.0a1', '1.0RC1', 'v1.0', '1.0-post1', '1.0.post1.dev2', '1.0+cpu', '2.1.0+cu118', ' 1.0 ']) {
      assert.equal(isValidVersion(v), true, v);
    }
  });
  it('rejects what is not a version', () => {
    for (const v of ['', 'latest', '1.0.*', '1.0+', 'abc1.0', '1..0', 'master']) {
      assert.equal(isValidVersion(v), false, v);
    }
  });
});

describe('compareVersions', () => {
  it('orders dev < alpha < beta < rc < final < post, and a post-release dev before its post', () => {
    const ordered = ['1.0.dev0', '1.0a1', '1.0b2', '1.0rc1', '1.0', '1.0+local', '1.0.post1.dev2', '1.0.post1', '1.0.1'];
    for (let i = 0; i + 1 < ordered.length; i++) {
      assert.equal(compareVersions(ordered[i], ordered[i + 1]), -1, `${ordered[i]} < ${ordered[i + 1]}`);
      assert.equal(compareVersions(ordered[i + 1], ordered[i]), 1, `${ordered[i + 1]} > ${ordered[i]}`);
    }
    const shuffled = [...ordered].reverse();
    assert.deepEqual(shuffled.sort(compareVersions), ordered);
  });
  it('puts epochs first: 1!0.5 is newer than 2.0', () => {
    assert.equal(compareVersions('1!0.5', '2.0'), 1);
    assert.equal(compareVersions('0!2.0', '2.0'), 0);
  });
  it('normalises: 1.0.0 == 1.0, 1.0RC1 == 1.0rc1, v1.0 == 1.0, 1.0-1 == 1.0.post1', () => {
    assert.equal(compareVersions('1.0.0', '1.0'), 0);
    assert.equal(compareVersions('1.0RC1', '1.0rc1'), 0);
    assert.equal(compareVersions('1.0c1', '1.0rc1'), 0);
    assert.equal(compareVersions('v1.0', '1.0'), 0);
    assert.equal(compareVersions('1.0-1', '1.0.post1'), 0);
  });
  it('orders numeric release parts as numbers, not text', () => {
    assert.equal(compareVersions('1.10', '1.9'), 1);
    assert.equal(compareVersions('2.10.0', '2.9.3'), 1);
  });
  it('orders local labels: numbers above text, then segment by segment', () => {
    assert.equal(compareVersions('1.0+abc', '1.0+abd'), -1);
    assert.equal(compareVersions('1.0+1', '1.0+a'), 1);
    assert.equal(compareVersions('1.0+abc.5', '1.0+abc.10'), -1);
  });
  it('sorts invalid strings before valid versions without throwing', () => {
    assert.equal(compareVersions('latest', '0.0.1'), -1);
    assert.equal(compareVersions('0.0.1', 'latest'), 1);
    assert.equal(compareVersions('a', 'b'), -1);
    assert.equal(compareVersions('x', 'x'), 0);
  });
});

describe('satisfiesClauses', () => {
  it('matches ordinary ranges and treats no clause as anything', () => {
    assert.equal(sat('2.0', '>=1.0,<3'), true);
    assert.equal(sat('3.0', '>=1.0,<3'), false);
    assert.equal(sat('0.9', '>=1.0,<3'), false);
    assert.equal(sat('5.0', ''), true);
  });

  it('ignores local labels unless the clause has one (==1.0 matches 1.0+cpu, ==1.0+cpu needs that label)', () => {
    assert.equal(sat('1.0+cpu', '==1.0'), true);
    assert.equal(sat('1.0.0+cu118', '==1.0.0'), true);
    assert.equal(sat('1.0+cpu', '==1.0+cpu'), true);
    assert.equal(sat('1.0+cpu', '==1.0+gpu'), false);
    assert.equal(sat('1.0', '==1.0+cpu'), false);
    assert.equal(sat('1.0+cpu', '!=1.0'), false);
    assert.equal(sat('1.0+cpu', '<=1.0'), true);
    assert.equal(sat('1.0+cpu', '>=1.0'), true);
  });

  it('never lets >V match a local version of V, nor <V (PEP 440 exclusive ordered comparison)', () => {
    assert.equal(sat('1.0+local', '>1.0'), false);
    assert.equal(sat('1.0+local', '<1.0'), false);
    assert.equal(sat('1.0.1+local', '>1.0'), true);
  });

  it('>V excludes post-releases of V unless V is one itself', () => {
    assert.equal(sat('1.7.post1', '>1.7'), false);
    assert.equal(sat('1.7.0.post1', '>1.7'), false, '1.7.0 is the same release as 1.7');
    assert.equal(sat('1.7.1.post1', '>1.7'), true, 'a post-release of a later version is fine');
    assert.equal(sat('1.7.1', '>1.7'), true);
    // The library says false for these two; PEP 440 says true (our wrapper fixes it).
    assert.equal(sat('1.7.post1', '>1.7.post0'), true);
    assert.equal(sat('1.7.post1', '>1.7.post1.dev1'), true);
  });

  it('<V excludes pre-releases of V unless V is one itself', () => {
    assert.equal(sat('1.7rc1', '<1.7'), false);
    assert.equal(sat('1.7.dev0', '<1.7'), false);
    assert.equal(sat('1.6.9', '<1.7'), true);
    assert.equal(sat('1.6.post3', '<1.7'), true);
    // Library disagreements fixed by the wrapper:
    assert.equal(sat('1.7rc1', '<1.7rc2'), true);
    assert.equal(sat('1.7', '<1.7.post1'), true);
    assert.equal(sat('1.7', '>1.7rc1'), true);
    assert.equal(sat('1.7.dev1', '>1.7.dev0'), true);
  });

  it('checks a given pre-release as itself, without the "no pre-releases" default', () => {
    assert.equal(sat('1.0a1', '>=0.9'), true);
    assert.equal(sat('2.0.dev1', '>1.7'), true);
    assert.equal(sat('1.0a1', '==1.0a1'), true);
    assert.equal(sat('1.0a1', '>=1.0'), false);
  });

  it('epochs: 1!0.5 satisfies >2.0, 0.5 does not satisfy >=1!0', () => {
    assert.equal(sat('1!0.5', '>2.0'), true);
    assert.equal(sat('0.5', '>=1!0'), false);
    assert.equal(sat('1!1.0', '>1.0'), true);
  });

  it('wildcards: ==1.2.* and !=1.2.*', () => {
    assert.equal(sat('1.2.5', '==1.2.*'), true);
    assert.equal(sat('1.2', '==1.2.*'), true);
    assert.equal(sat('1.3', '==1.2.*'), false);
    assert.equal(sat('1.2.5', '!=1.2.*'), false);
    assert.equal(sat('1.20', '!=1.2.*'), true, '1.20 does not start with release 1.2');
    assert.equal(sat('1.3', '!=1.2.*'), true);
  });

  it('compatible release: ~=2.2 is >=2.2,==2.*; ~=1.4.5 is >=1.4.5,==1.4.*', () => {
    assert.equal(sat('2.2', '~=2.2'), true);
    assert.equal(sat('2.9.1', '~=2.2'), true);
    assert.equal(sat('3.0', '~=2.2'), false);
    assert.equal(sat('2.1', '~=2.2'), false);
    assert.equal(sat('1.4.9', '~=1.4.5'), true);
    assert.equal(sat('1.4.4', '~=1.4.5'), false);
    assert.equal(sat('1.5.0', '~=1.4.5'), false);
  });

  it('arbitrary equality === compares strings, not versions', () => {
    assert.equal(sat('1.0', '===1.0'), true);
    assert.equal(sat('1.0.0', '===1.0'), false);
    assert.equal(sat('1.0+cpu', '===1.0+cpu'), true);
    assert.equal(satisfiesClauses('foobar', [{ op: '===', version: 'foobar' }]), true, 'works for non-PEP 440 strings');
    assert.equal(satisfiesClauses('foobar', [{ op: '==', version: 'foobar' }]), false);
  });

  it('normalised spellings match', () => {
    assert.equal(sat('1.0RC1', '==1.0rc1'), true);
    assert.equal(sat('v1.0', '==1.0.0'), true);
    assert.equal(sat('1.0', '==1.0.0'), true);
  });

  it('never matches an invalid version or clause', () => {
    assert.equal(sat('latest', '>=1.0'), false);
    assert.equal(satisfiesClauses('1.0', [{ op: '>=', version: 'nope' }]), false);
    assert.equal(satisfiesClauses('1.0', [{ op: '=>', version: '1.0' }]), false);
    assert.equal(satisfiesClauses('1.0', [{ op: '>', version: '0.5+local' }]), false, 'no local label in ordered clauses');
  });
});

describe('pinnedVersion', () => {
  it('returns the version of ==X (no wildcard) or ===X', () => {
    assert.equal(pinnedVersion(spec('==1.2.3')), '1.2.3');
    assert.equal(pinnedVersion(spec('>=1.0,==1.2.3')), '1.2.3');
    assert.equal(pinnedVersion(spec('===1.0-foo')), '1.0-foo');
    assert.equal(pinnedVersion(spec('==2.0+cpu')), '2.0+cpu');
  });
  it('is undefined for ranges, wildcards and nothing', () => {
    assert.equal(pinnedVersion(spec('==1.2.*')), undefined);
    assert.equal(pinnedVersion(spec('>=1.0,<2')), undefined);
    assert.equal(pinnedVersion(spec('~=1.4')), undefined);
    assert.equal(pinnedVersion([]), undefined);
  });
});

describe('inRange (OSV ECOSYSTEM ranges)', () => {
  it('is introduced <= v < fixed', () => {
    const r = { introduced: '5.1', fixed: '5.2b1' };
    assert.equal(inRange('5.1', r), true);
    assert.equal(inRange('5.1.2', r), true);
    assert.equal(inRange('5.2a1', r), true, 'a pre-release before the fixing beta');
    assert.equal(inRange('5.2b1', r), false);
    assert.equal(inRange('5.0.9', r), false);
    assert.equal(inRange('5.1rc1', r), false, '5.1rc1 comes before 5.1');
  });
  it('puts pre-releases of the fixed version inside the range', () => {
    assert.equal(inRange('5.1b1', { fixed: '5.1' }), true);
    assert.equal(inRange('5.1.dev3', { introduced: '0', fixed: '5.1' }), true);
    assert.equal(inRange('5.1', { introduced: '0', fixed: '5.1' }), false);
    assert.equal(inRange('5.1.post1', { fixed: '5.1' }), false);
  });
  it('treats introduced "0" or missing as from the first version, and local builds by their order', () => {
    assert.equal(inRange('0.0.1', { introduced: '0', fixed: '1.13.1' }), true);
    assert.equal(inRange('1.13.0+cu117', { fixed: '1.13.1' }), true);
    assert.equal(inRange('1.13.1+cu117', { fixed: '1.13.1' }), false);
  });
  it('includes last_affected and stays open without an end', () => {
    const r = { introduced: '2.0', last_affected: '2.3.4' };
    assert.equal(inRange('2.3.4', r), true);
    assert.equal(inRange('2.3.4.post1', r), false);
    assert.equal(inRange('2.3.5', r), false);
    assert.equal(inRange('1.9', r), false);
    assert.equal(inRange('99.0', { introduced: '3.0' }), true);
    assert.equal(inRange('2.9', { introduced: '3.0' }), false);
  });
  it('puts invalid versions in no range', () => {
    assert.equal(inRange('latest', {}), false);
    assert.equal(inRange('1.0', { fixed: 'garbage' }), false);
  });
});

describe('helpers', () => {
  it('isPrerelease covers dev, alpha, beta and rc, not post', () => {
    assert.deepEqual(
      ['1.0.dev1', '1.0a1', '1.0b1', '1.0rc1', '1.0', '1.0.post1', 'x'].map(isPrerelease),
      [true, true, true, true, false, false, false],
    );
  });
  it('clauseInterval turns clauses into the smallest enclosing interval', () => {
    assert.deepEqual(clauseInterval(spec('<9')), { lower: undefined, upper: { version: '9.dev0', inclusive: false } });
    assert.deepEqual(clauseInterval(spec('>=1.2,<=1.5,!=1.3')), {
      lower: { version: '1.2', inclusive: true },
      upper: { version: '1.5', inclusive: true },
    });
    assert.deepEqual(clauseInterval(spec('~=1.4.5')), {
      lower: { version: '1.4.5', inclusive: true },
      upper: { version: '1.5.dev0', inclusive: false },
    });
    assert.deepEqual(clauseInterval(spec('==2.*')), {
      lower: { version: '2.dev0', inclusive: true },
      upper: { version: '3.dev0', inclusive: false },
    });
    assert.deepEqual(clauseInterval(spec('>=1.0')), { lower: { version: '1.0', inclusive: true }, upper: undefined });
    assert.equal(clauseInterval(spec('>=2,<1')), undefined, 'empty');
    assert.equal(clauseInterval(spec('>1,<=1')), undefined, 'empty');
    assert.equal(clauseInterval([{ op: '>=', version: 'junk' }]), undefined);
  });
});
