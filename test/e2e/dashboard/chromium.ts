/// <reference lib="dom" />
/**
 * Debian's chromium, driven by playwright-core (no browser download): `.ci/run` installs the package
 * when /usr/bin/chromium is missing. Screenshots go to test-artifacts/dashboard/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.VOUCH_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(new URL('../../../', import.meta.url).pathname, 'test-artifacts', 'dashboard');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Records what the page logs as errors, so a test can say the page ran clean. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Goes to a view (`#/live`) and waits until the page has rendered that route. */
export async function openView(page: Page, baseUrl: string, hash: string): Promise<void> {
  if (page.url().startsWith(baseUrl)) await page.evaluate((h) => (location.hash = h), hash);
  else await page.goto(`${baseUrl}${hash}`);
  const route = hash.replace(/^#/, '') || '/';
  await page.waitForFunction((r) => document.body.dataset.route === r, route, { timeout: 15_000 });
}
