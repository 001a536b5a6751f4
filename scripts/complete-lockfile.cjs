#!/usr/bin/env node
/**
 * The registry these machines reach serves only Linux builds of platform-specific packages
 * (@swc/core-*, @unrs/resolver-binding-*, ...). `npm install` then leaves every other platform's
 * optional package out of package-lock.json, and `npm ci` refuses the lock file as out of sync.
 * This restores the missing entries as the public registry would have written them (version,
 * optional, dev): npm ci on any platform installs its own build and skips the others.
 * Run after every `npm install` that changes the lock file: `npm run lock:complete`.
 */
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [where, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${where ? `${where}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    packages[hoisted] = { version, ...(meta.dev ? { dev: true } : {}), optional: true };
    added += 1;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} optional platform package entr${added === 1 ? 'y' : 'ies'} restored`);
