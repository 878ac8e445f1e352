/**
 * Hover text for a requirement in a manifest: what it pins and which advisories concern it.
 */
import { advisoryUrl, describeAdvisory, type Advisory, type AdvisoryDb } from './advisories';
import type { Manifest, Requirement } from './types';
import { pinnedVersion } from './versions';

/** Advisories listed in full in a hover; more are counted. */
const LISTED = 12;

/** The requirement whose text holds `offset`, if any. */
export function requirementAt(manifest: Manifest, offset: number): Requirement | undefined {
  return manifest.requirements.find((r) => r.span.start <= offset && offset <= r.span.end && r.name);
}

function advisoryLine(a: Advisory): string {
  const fixed = a.fixed.length ? `fixed in ${a.fixed.join(', ')}` : 'no fixed release known';
  const severity = a.severity ? ` · ${a.severity.level}${a.severity.score !== undefined ? ` (CVSS ${a.severity.score})` : ''}` : '';
  return `- [${describeAdvisory(a)}](${advisoryUrl(a)}) · ${fixed}${severity}`;
}

/** Markdown describing the requirement at `offset` and its advisories, or undefined when there is no requirement there. */
export function requirementHover(manifest: Manifest, text: string, offset: number, db: AdvisoryDb): string | undefined {
  const r = requirementAt(manifest, offset);
  if (!r) return undefined;
  const written = text.slice(r.span.start, r.span.end).replace(/\s+/g, ' ').trim();
  const lines = [`**${r.name}** \`${written.length > 80 ? written.slice(0, 77) + '...' : written}\``, ''];
  const name = r.normalized;
  const pin = r.ecosystem === 'pypi' ? pinnedVersion(r.clauses) : undefined;
  if (!db.has(name)) {
    lines.push(`No advisories for ${r.name} in the advisory data of ${db.snapshot} (it covers ${db.packageCount} ML-related packages; turn on \`threatlens.advisories.online\` to ask OSV).`);
    return lines.join('\n');
  }
  if (pin) {
    const hits = db.affecting(name, pin);
    if (hits.length === 0) {
      lines.push(`${r.name} ${pin}: no known advisory (data of ${db.snapshot}).`);
    } else {
      lines.push(`${r.name} ${pin} is affected by ${hits.length} known ${hits.length === 1 ? 'advisory' : 'advisories'} (data of ${db.snapshot}):`, '');
      lines.push(...hits.slice(0, LISTED).map(advisoryLine));
      if (hits.length > LISTED) lines.push(`- and ${hits.length - LISTED} more`);
      const up = db.safeUpgrade(name, pin);
      if (up) lines.push('', `Upgrade to **${up.version}**${up.clean ? ' (no known advisory)' : ' (fixes these; later advisories may remain)'}.`);
    }
  } else {
    lines.push(`Not pinned, so the installed version decides. ${db.advisoryCount > 0 ? `The advisory data of ${db.snapshot} knows advisories for ${r.name}; pin a version to check it.` : ''}`);
  }
  return lines.join('\n');
}
