#!/usr/bin/env node
// Writes docs/configuration.md from the settings table and the config schema (scripts/config-reference.ts).
// Usage: node scripts/gen-config-docs.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { renderConfigReference } = await import('./config-reference.ts');
const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
writeFileSync(target, renderConfigReference());
process.stdout.write(`wrote ${target}\n`);
