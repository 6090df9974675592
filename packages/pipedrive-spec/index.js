// @ts-check
// Plain CommonJS with its types in index.d.ts: the worker image runs this package as it is, with no build step.
'use strict';
const path = require('node:path');
const costs = require('./token-costs.json');

/** The folder holding the pinned specs, pipedrive-openapi-v1.yaml and pipedrive-openapi-v2.yaml (see specs/README.md). */
const SPECS_DIR = path.join(__dirname, 'specs');

/** @typedef {import('./index').TokenCostEntry} TokenCostEntry */

/** Literal path segments: a route with more of them wins over a templated one (`/persons/search` over `/persons/{id}`). */
const compiled = /** @type {TokenCostEntry[]} */ (costs).map((entry) => {
  const segments = entry.path.split('/').filter(Boolean);
  const pattern = new RegExp('^/' + segments.map((s) => (s.startsWith('{') ? '[^/]+' : escapeRegExp(s))).join('/') + '/?$');
  return { ...entry, pattern, literalSegments: segments.filter((s) => !s.startsWith('{')).length };
});

/** The entries by version and method: every request is priced, so each looks only at its own method's routes. */
const byOperation = new Map();
for (const entry of compiled) {
  const key = `${entry.api} ${entry.method}`;
  byOperation.set(key, [...(byOperation.get(key) ?? []), entry]);
}

/** @param {string} text */
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The token cost Pipedrive's spec declares (`x-token-cost`) for one request, or undefined for an operation the specs
 * do not list. `path` is relative to the version root, e.g. `/persons/12`, without query string.
 * @param {'v1' | 'v2'} api
 * @param {string} method
 * @param {string} path
 * @returns {number | undefined}
 */
function tokenCost(api, method, path) {
  let best;
  for (const entry of byOperation.get(`${api} ${method.toUpperCase()}`) ?? []) {
    if (!entry.pattern.test(path)) continue;
    if (!best || entry.literalSegments > best.literalSegments) best = entry;
  }
  return best?.tokens;
}

/** @returns {readonly TokenCostEntry[]} */
function tokenCostEntries() {
  return costs;
}

module.exports = { SPECS_DIR, tokenCost, tokenCostEntries };
