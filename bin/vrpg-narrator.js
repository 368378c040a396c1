#!/usr/bin/env node
// Package bin: the compiled CLI (dist/, written by `npm run build`; `npm install` runs it in a checkout).
import { existsSync } from 'node:fs';

const main = new URL('../dist/server/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`vrpg-narrator: ${main.pathname} is missing; in a checkout, run \`npm run build\` first\n`);
  process.exit(1);
}
await import(main.href);
