#!/usr/bin/env node
// Runs the built CLI (dist/cli/main.js). A checkout without a build gets one line telling how to
// make it, rather than a silent run of the sources: tsx is a dev dependency (absent from an
// installed package), and running src/ when dist/ exists-but-stale or is missing would make the
// command's behaviour depend on what happens to be installed. Developers who want the sources
// set TSNAS_FROM_SOURCE=1 (needs the dev dependencies; `npm test` rebuilds dist/ first anyway).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let entry = join(root, 'dist', 'cli', 'main.js');
if (process.env.TSNAS_FROM_SOURCE) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    console.error('tsnas: TSNAS_FROM_SOURCE is set but tsx is not installed (npm install in the repository)');
    process.exit(1);
  }
  entry = join(root, 'src', 'cli', 'main.ts');
} else if (!existsSync(entry)) {
  console.error(`tsnas: ${entry} is missing: run \`npm run build\` in ${root}`);
  process.exit(1);
}
// main.ts starts the CLI only when argv[1] names it (so importing it from tests does not).
process.argv[1] = entry;
await import(pathToFileURL(entry).href);
