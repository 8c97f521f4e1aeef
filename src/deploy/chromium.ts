/**
 * Headless Chromium through playwright-core, for measuring models in a real browser (and for the
 * tests that render the report, the dashboard and the example page). playwright-core is imported
 * lazily, so the library loads without it; a missing package or browser is a one-line error.
 *
 * The browser binary: `executablePath`, else $TSNAS_CHROMIUM, else /usr/bin/chromium (Debian's
 * `chromium` package; playwright's own downloaded browsers are not used: no network here).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { TsnasError } from '../util/errors.js';

/** Where Chromium is looked for when no path is given. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The Chromium binary to use: the given path, $TSNAS_CHROMIUM, or /usr/bin/chromium. */
export function chromiumPath(executablePath?: string): string {
  return executablePath ?? process.env['TSNAS_CHROMIUM'] ?? DEFAULT_CHROMIUM;
}

export interface ChromiumOptions {
  /** The Chromium binary (default: chromiumPath()). */
  executablePath?: string;
  viewport?: { width: number; height: number };
}

/** A running headless Chromium: one persistent context (a throw-away profile), closed by `close`. */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

// Headless, no GPU, no background traffic: pages may only reach the servers they are given.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launch headless Chromium (one-line TsnasError when playwright-core or the binary is missing). */
export async function launchChromium(o: ChromiumOptions = {}): Promise<Chromium> {
  const exe = chromiumPath(o.executablePath);
  if (!existsSync(exe)) throw new TsnasError(`Chromium not found at ${exe} (install it, e.g. apt-get install -y chromium, or give its path: --browser PATH or TSNAS_CHROMIUM)`);
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    throw new TsnasError('measuring in a browser needs the playwright-core package (npm install playwright-core)');
  }
  const profile = mkdtempSync(join(tmpdir(), 'tsnas-chromium-'));
  let context: BrowserContext;
  try {
    context = await pw.chromium.launchPersistentContext(profile, { executablePath: exe, headless: true, viewport: o.viewport ?? { width: 1280, height: 900 }, args: ARGS });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw new TsnasError(`Chromium at ${exe} did not start: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
