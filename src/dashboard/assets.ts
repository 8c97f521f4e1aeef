/**
 * The page's own files, a fixed list: the page script and style (page.ts) and the vega, vega-lite,
 * vega-embed and vega-interpreter browser bundles from node_modules (the same bundles `tsnas report`
 * inlines). Nothing else on the disk is served: a name not in the list is a 404, whatever it holds.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { browserBundle } from '../report/html.js';
import { TsnasError } from '../util/errors.js';
import { PAGE_CSS, PAGE_JS } from './page.js';

const require = createRequire(import.meta.url);

export interface Asset {
  type: string;
  body: Buffer;
}

const JS = 'text/javascript; charset=utf-8';

function stripMaps(js: string): string {
  return js.replace(/^\/\/# sourceMappingURL=.*$/gm, '');
}

/**
 * vega-interpreter ships only as an ES module importing three names from vega-util; the vega
 * bundle exports them on `window.vega`. Rewritten as a classic script it sets
 * `window.vegaExpressionInterpreter`, which lets vega-embed evaluate expressions without `eval`
 * (`ast: true`), so the CSP needs no 'unsafe-eval'.
 */
function interpreterBundle(): string {
  let file: string;
  try {
    file = require.resolve('vega-interpreter');
  } catch {
    throw new TsnasError("the 'vega-interpreter' package is not installed (npm install)");
  }
  const src = stripMaps(readFileSync(file, 'utf8'));
  const imp = /^import \{([^}]*)\} from 'vega-util';$/m;
  const exp = /^export \{ expression as expressionInterpreter \};$/m;
  if (!imp.test(src) || !exp.test(src)) throw new TsnasError(`unexpected vega-interpreter build (${file}): cannot serve it as a classic script`);
  const body = src.replace(imp, (_, names: string) => `const {${names}} = window.vega;`).replace(exp, 'window.vegaExpressionInterpreter = expression;');
  return `(function () {\n${body}\n})();\n`;
}

const SOURCES: Record<string, { type: string; load: () => string }> = {
  'dashboard.js': { type: JS, load: () => PAGE_JS },
  'dashboard.css': { type: 'text/css; charset=utf-8', load: () => PAGE_CSS },
  'vega.js': { type: JS, load: () => stripMaps(browserBundle('vega')) },
  'vega-lite.js': { type: JS, load: () => stripMaps(browserBundle('vega-lite')) },
  'vega-embed.js': { type: JS, load: () => stripMaps(browserBundle('vega-embed')) },
  'vega-interpreter.js': { type: JS, load: interpreterBundle },
};

export const ASSET_NAMES: readonly string[] = Object.keys(SOURCES);

const cache = new Map<string, Asset>();

/** The asset of that exact name, or undefined (a 404). */
export function asset(name: string): Asset | undefined {
  if (!Object.hasOwn(SOURCES, name)) return undefined;
  let a = cache.get(name);
  if (!a) {
    const s = SOURCES[name]!;
    a = { type: s.type, body: Buffer.from(s.load(), 'utf8') };
    cache.set(name, a);
  }
  return a;
}
