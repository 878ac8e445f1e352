/**
 * A tiny OSV-compatible API on loopback for the CLI and language-server tests: `POST /v1/querybatch`
 * answers with the ids of the records whose ECOSYSTEM ranges hold the queried version, and
 * `GET /v1/vulns/<id>` with the record. `hang` makes every request wait forever (a dead network).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRecord {
  id: string;
  aliases?: string[];
  modified: string;
  /** PyPI package name, introduced and fixed versions (compared as plain dotted numbers here). */
  pkg: string;
  introduced: string;
  fixed: string;
  cvss?: string;
}

function lessOrEqual(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return true;
}

export interface FakeOsv {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeOsv(records: readonly FakeRecord[], mode: 'ok' | 'hang' | 'error' = 'ok'): Promise<FakeOsv> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      if (mode === 'hang') return;
      if (mode === 'error') {
        res.writeHead(500).end('{}');
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/querybatch') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { queries: { package: { name: string }; version: string }[] };
        const results = body.queries.map((q) => ({
          vulns: records
            .filter((r) => r.pkg === q.package.name && lessOrEqual(r.introduced, q.version) && !lessOrEqual(r.fixed, q.version))
            .map((r) => ({ id: r.id, modified: r.modified })),
        }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
        return;
      }
      const id = /^\/v1\/vulns\/(.+)$/.exec(req.url ?? '')?.[1];
      const r = records.find((x) => x.id === decodeURIComponent(id ?? ''));
      if (req.method === 'GET' && r) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: r.id,
            aliases: r.aliases ?? [],
            modified: r.modified,
            published: r.modified,
            affected: [{ package: { name: r.pkg, ecosystem: 'PyPI' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: r.introduced }, { fixed: r.fixed }] }] }],
            ...(r.cvss ? { severity: [{ type: 'CVSS_V3', score: r.cvss }] } : {}),
          }),
        );
        return;
      }
      res.writeHead(404).end('{}');
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

/** A made-up advisory for a package the offline snapshot does not cover. */
export const FAKE_TRANSFORMERS: FakeRecord = {
  id: 'GHSA-test-0000-0001',
  aliases: ['CVE-2099-0001'],
  modified: '2099-01-01T00:00:00Z',
  pkg: 'transformers',
  introduced: '0',
  fixed: '4.36.0',
  cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
};
