// ThreatLens details view: turns clicks (and Enter on focused links) on finding, threat and rule
// links into messages for the extension. Loaded through the page's nonce; sends nothing else.
// @ts-check
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('a') : null;
    if (!target) return;
    if (target.hasAttribute('data-finding')) {
      event.preventDefault();
      vscode.postMessage({ type: 'reveal', index: Number(target.getAttribute('data-finding')) });
    } else if (target.hasAttribute('data-open')) {
      event.preventDefault();
      vscode.postMessage({ type: 'open', kind: target.getAttribute('data-open'), id: target.getAttribute('data-id') });
    } else if (target.hasAttribute('data-external')) {
      event.preventDefault();
      vscode.postMessage({ type: 'external', url: target.getAttribute('href') });
    }
  });
})();
