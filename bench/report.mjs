// Summaries, the printed tables and the target checks of `npm run bench`.

export function median(values) {
  const s = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One table row per (tool, corpus): the median of its runs. */
export function summarise(tool, corpus, runs) {
  const row = { tool: tool.id, label: tool.label, group: tool.group, corpus: corpus.name, files: corpus.files.length, lines: corpus.lines };
  if (!tool.available) return { ...row, status: tool.reason };
  const failed = runs.find((r) => r.failed);
  if (failed) return { ...row, status: 'failed', error: failed.failed };
  const seconds = median(runs.map((r) => r.ms)) / 1000;
  const last = runs[runs.length - 1];
  const summary = {
    ...row,
    status: 'ok',
    runs: runs.length,
    seconds,
    linesPerSecond: corpus.lines / seconds,
    peakMiB: median(runs.map((r) => r.peakMiB)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    filesSeen: last.files,
    findings: last.findings,
    errors: last.errors,
  };
  if (runs[0].inner && tool.group === 'engine') {
    summary.inner = {
      startupMs: median(runs.map((r) => r.inner.startupMs)),
      readMs: median(runs.map((r) => r.inner.readMs)),
      totalMs: median(runs.map((r) => r.inner.totalMs)),
      analysedMs: median(runs.map((r) => r.inner.analysedMs)),
      analysedFiles: last.inner.analysedFiles,
      syntaxErrorFiles: last.inner.syntaxErrorFiles,
    };
  }
  return summary;
}

const fmt = {
  int: (n) => (n == null ? '-' : Math.round(n).toLocaleString('en-US')),
  s: (n) => (n == null ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1)),
  mib: (n) => (n == null ? '-' : n.toFixed(0)),
  ms: (n) => (n == null ? '-' : n < 10 ? n.toFixed(1) : n.toFixed(0)),
  ratio: (n) => (n == null ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1)),
};
export { fmt };

/** Adds `ratio` (seconds / ThreatLens CLI (all cores) seconds on the same corpus) to each row. */
export function addRatios(rows) {
  for (const row of rows) {
    const base = rows.find((r) => r.corpus === row.corpus && r.tool === 'threatlens' && r.status === 'ok');
    row.ratio = row.status === 'ok' && base ? row.seconds / base.seconds : null;
  }
}

export function textTable(headers, rows, alignRight) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (alignRight[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function markdownTable(headers, rows, alignRight) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(alignRight.map((r) => (r ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

const HEADERS = ['tool', 'corpus', 'files', 'lines', 'seconds', 'lines/s', 'CPU s', 'peak MiB', '× ThreatLens', 'notes'];
const RIGHT = [false, false, true, true, true, true, true, true, true, false];

function cells(row) {
  if (row.status !== 'ok') return [row.label, row.corpus, fmt.int(row.files), fmt.int(row.lines), '-', '-', '-', '-', '-', row.status === 'failed' ? 'FAILED' : row.status];
  const notes = [];
  if (row.findings != null) notes.push(`${fmt.int(row.findings)} findings`);
  if (row.filesSeen != null && row.filesSeen !== row.files) notes.push(`saw ${fmt.int(row.filesSeen)} files`);
  if (row.errors) notes.push(`${fmt.int(row.errors)} file errors`);
  if (row.inner) notes.push(`${fmt.int(row.inner.analysedFiles)} files analysed`);
  return [row.label, row.corpus, fmt.int(row.files), fmt.int(row.lines), fmt.s(row.seconds), fmt.int(row.linesPerSecond), fmt.s(row.cpuSeconds), fmt.mib(row.peakMiB), fmt.ratio(row.ratio), notes.join(', ')];
}

export function resultsTable(rows, markdown = false) {
  return (markdown ? markdownTable : textTable)(HEADERS, rows.map(cells), RIGHT);
}

/** The in-process engine numbers (parse floor vs analysis, on the files the engine analyses). */
export function engineDetails(rows, corpora = []) {
  const out = [];
  for (const corpus of [...new Set(rows.map((r) => r.corpus))]) {
    const prefilter = corpora.find((c) => c.name === corpus)?.prefilter;
    const parse = rows.find((r) => r.corpus === corpus && r.tool === 'parse-floor' && r.status === 'ok');
    const engine = rows.find((r) => r.corpus === corpus && r.tool === 'engine' && r.status === 'ok');
    if (!parse?.inner || !engine?.inner) continue;
    out.push({
      corpus,
      files: parse.files,
      analysedFiles: engine.inner.analysedFiles,
      startupMs: parse.inner.startupMs,
      prefilterMs: prefilter?.totalMs ?? null,
      parseAllMs: parse.inner.totalMs,
      parseAnalysedMs: parse.inner.analysedMs,
      analyseAllMs: engine.inner.totalMs,
      analyseAnalysedMs: engine.inner.analysedMs,
      overhead: engine.inner.analysedMs / parse.inner.analysedMs - 1,
    });
  }
  return out;
}

export function engineTable(details, markdown = false) {
  const headers = ['corpus', 'files analysed', 'engine start-up ms', 'pre-filter ms', 'parse all ms', 'parse analysed ms', 'analyse all ms', 'analyse analysed ms', 'analysis over parse'];
  const rows = details.map((d) => [
    d.corpus,
    `${fmt.int(d.analysedFiles)} of ${fmt.int(d.files)}`,
    fmt.ms(d.startupMs),
    fmt.ms(d.prefilterMs),
    fmt.ms(d.parseAllMs),
    fmt.ms(d.parseAnalysedMs),
    fmt.ms(d.analyseAllMs),
    fmt.ms(d.analyseAnalysedMs),
    `${d.overhead >= 0 ? '+' : ''}${(d.overhead * 100).toFixed(0)}%`,
  ]);
  return (markdown ? markdownTable : textTable)(headers, rows, [false, true, true, true, true, true, true, true, true]);
}

export function lspLines(lsp) {
  if (!lsp) return ['language server: not measured'];
  if (lsp.error) return [`language server: FAILED: ${lsp.error}`];
  const p = (x) => `p50 ${fmt.ms(x.p50)} ms, p95 ${fmt.ms(x.p95)} ms, max ${fmt.ms(x.max)} ms (n=${x.n})`;
  const t = lsp.typing;
  return [
    lsp.immediateBelowMs === undefined
      ? `language server (corpus ${lsp.corpus}; debounce ${lsp.debounceMs} ms, the product default):`
      : `language server (corpus ${lsp.corpus}; changes analysed at once, debounced ${lsp.debounceMs} ms only in files whose analyses take over ${lsp.immediateBelowMs} ms):`,
    `  start-up: spawn → initialize answered ${fmt.ms(lsp.startup.initializeMs)} ms, spawn → first diagnostics ${fmt.ms(lsp.startup.firstDiagnosticsMs)} ms (median of ${lsp.startup.runs.length})`,
    `  typing in a ${fmt.int(t.file.lines)}-line file (${t.file.sources.length} sources, ${fmt.int(t.file.findings)} findings; opened → diagnostics ${fmt.ms(t.openToDiagnosticsMs)} ms):`,
    `    didChange → publishDiagnostics, end to end:  ${p(t.endToEnd)}`,
    ...(t.typed
      ? [`    typing an x (new text):    ${p(t.typed)}`, `    deleting it (text seen before, cached):    ${p(t.restored)}`]
      : [`    the same minus the ${lsp.debounceMs} ms debounce:    ${p(t.minusDebounce)}`]),
    `    server analysis code path, replayed in-process: ${p(t.replay)}`,
    `  memory: ${lsp.memory.files} files (${fmt.int(lsp.memory.lines)} lines) open → all diagnostics ${fmt.ms(lsp.memory.openToAllDiagnosticsMs)} ms; ` +
      `RSS ${fmt.mib(lsp.memory.rssMiB)} MiB (after initialize ${fmt.mib(lsp.memory.baselineRssMiB)} MiB), peak (VmHWM) ${fmt.mib(lsp.memory.hwmMiB)} MiB`,
  ];
}

/** The issue's targets: { id, target, status: MET | NOT MET | NOT MEASURED, detail }. */
export function checkTargets(rows, details, lsp) {
  const targets = [];
  const add = (id, target, ok, detail) => targets.push({ id, target, status: ok === null ? 'NOT MEASURED' : ok ? 'MET' : 'NOT MET', detail });
  const get = (corpus, tool) => rows.find((r) => r.corpus === corpus && r.tool === tool);
  const corpus = rows.some((r) => r.corpus === 'torch') ? 'torch' : rows[0]?.corpus;
  const on = corpus === 'torch' ? 'torch' : `${corpus} (the target is for torch, not measured in this run)`;
  const tl = get(corpus, 'threatlens');
  const tl1 = get(corpus, 'threatlens-j1');
  const ok = (r) => r?.status === 'ok';

  for (const [id, tool, target, pass] of [
    ['cli-vs-bandit', 'bandit', 'CLI scan of torch ≥ 15× faster than Bandit (cold)', (x) => x >= 15],
    ['cli-vs-ruff', 'ruff', 'CLI scan of torch faster than Ruff-wasm S rules (cold)', (x) => x > 1],
  ]) {
    const other = get(corpus, tool);
    if (!ok(tl) || !ok(other)) {
      add(id, target, null, `${on}: ${!ok(tl) ? 'ThreatLens' : other?.label ?? tool} ${(!ok(tl) ? tl : other)?.status ?? 'not run'}`);
      continue;
    }
    const x = other.seconds / tl.seconds;
    const x1 = ok(tl1) ? other.seconds / tl1.seconds : null;
    add(id, target, pass(x), `${on}: ${fmt.s(other.seconds)} s vs ${fmt.s(tl.seconds)} s = ${fmt.ratio(x)}× (all cores)${x1 == null ? '' : `; ${fmt.ratio(x1)}× with --jobs 1`}`);
  }

  const warm = get(corpus, 'threatlens-warm');
  if (ok(warm) && ok(tl)) {
    const x = tl.seconds / warm.seconds;
    add('warm-cache', 'warm-cache re-scan ≥ 5× faster than cold', x >= 5, `${on}: ${fmt.s(warm.seconds)} s warm vs ${fmt.s(tl.seconds)} s cold = ${fmt.ratio(x)}×`);
  } else {
    add('warm-cache', 'warm-cache re-scan ≥ 5× faster than cold', null, `${warm?.status ?? 'not run'}`);
  }

  const d = details.find((x) => x.corpus === corpus);
  if (d) {
    add(
      'analysis-overhead',
      'analysis adds ≤ 30% over the parse floor (files that are analysed)',
      d.overhead <= 0.3,
      `${on}: ${fmt.int(d.analysedFiles)} files analysed: parse ${fmt.ms(d.parseAnalysedMs)} ms, analyse ${fmt.ms(d.analyseAnalysedMs)} ms = ${d.overhead >= 0 ? '+' : ''}${(d.overhead * 100).toFixed(0)}% (in-process, medians)`,
    );
  } else {
    add('analysis-overhead', 'analysis adds ≤ 30% over the parse floor (files that are analysed)', null, 'engine measurements missing');
  }

  const cliRows = rows.filter((r) => r.group === 'threatlens' && ok(r) && r.peakMiB != null);
  if (cliRows.length) {
    const worst = cliRows.reduce((a, b) => (b.peakMiB > a.peakMiB ? b : a));
    add('cli-memory', 'peak memory of a CLI scan < 200 MiB', worst.peakMiB < 200, `highest: ${fmt.mib(worst.peakMiB)} MiB (${worst.label}, ${worst.corpus}); ${cliRows.map((r) => `${r.tool}/${r.corpus} ${fmt.mib(r.peakMiB)}`).join(', ')}`);
  } else {
    add('cli-memory', 'peak memory of a CLI scan < 200 MiB', null, 'no CLI peak memory measured');
  }

  if (lsp && !lsp.error) {
    const t = lsp.typing;
    add(
      'lsp-typing',
      'didChange → diagnostics p95 < 30 ms (5,000-line file)',
      t.minusDebounce.p95 < 30,
      t.typed
        ? `end to end p95 ${fmt.ms(t.endToEnd.p95)} ms (typing ${fmt.ms(t.typed.p95)} ms, deleting ${fmt.ms(t.restored.p95)} ms; analysis replayed in-process ${fmt.ms(t.replay.p95)} ms), ${fmt.int(t.file.lines)} lines`
        : `end to end minus the ${lsp.debounceMs} ms debounce: p95 ${fmt.ms(t.minusDebounce.p95)} ms (end to end ${fmt.ms(t.endToEnd.p95)} ms; analysis replayed in-process ${fmt.ms(t.replay.p95)} ms), ${fmt.int(t.file.lines)} lines`,
    );
    add('lsp-startup', 'first diagnostics ≤ 300 ms after the server starts', lsp.startup.firstDiagnosticsMs <= 300, `spawn → first diagnostics ${fmt.ms(lsp.startup.firstDiagnosticsMs)} ms (median of ${lsp.startup.runs.length})`);
  } else {
    add('lsp-typing', 'didChange → diagnostics p95 < 30 ms (5,000-line file)', null, lsp?.error ?? 'not run');
    add('lsp-startup', 'first diagnostics ≤ 300 ms after the server starts', null, lsp?.error ?? 'not run');
  }
  return targets;
}
