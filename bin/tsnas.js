#!/usr/bin/env node
// Runs the TypeScript sources through tsx when dist/ is absent, so `npm ci` alone gives a working CLI.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
if (existsSync(built) && !process.env.TSNAS_FROM_SOURCE) {
  process.argv[1] = built;
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const src = join(root, 'src', 'cli', 'main.ts');
  process.argv[1] = src;
  await import(pathToFileURL(src).href);
}
