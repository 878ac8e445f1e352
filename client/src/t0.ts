/**
 * When the client bundle started to evaluate. extension.ts imports this module first, so that
 * `activationMs` covers loading the bundle's dependencies too.
 */
export const t0 = performance.now();
