/**
 * Headless Chromium for the browser tests (report, dashboard, deployment, the example page): the
 * library's launcher (src/deploy/chromium.ts), and the reason to skip when the binary is absent.
 */
import { existsSync } from 'node:fs';
import { chromiumPath, launchChromium, type Chromium } from '../../src/deploy/chromium.js';

/** The Chromium the tests use ($TSNAS_CHROMIUM or /usr/bin/chromium). */
export const CHROMIUM = chromiumPath();

/** A skip reason when Chromium is absent (logged once), else false. */
export function chromiumSkip(what: string): string | false {
  if (existsSync(CHROMIUM)) return false;
  const why = `${what} skipped: Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set TSNAS_CHROMIUM)`;
  console.log(`# ${why}`);
  return why;
}

/** Launch it with a viewport. */
export function openChromium(viewport = { width: 1280, height: 900 }): Promise<Chromium> {
  return launchChromium({ executablePath: CHROMIUM, viewport });
}
