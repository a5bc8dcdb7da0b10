/**
 * The dashboard in real headless Chromium over the local platform playing the `npm start` story: the
 * page npm start serves (the platform's control API), read while the story runs and after it. The
 * tests run in test/e2e/platform/story.test.ts, on the story play the platform's own story tests check.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../../lambdas/core/builds/model.ts';
import type { PipeShape } from '../../../lambdas/core/spec/pipeShape.ts';
import type { PlayingStory } from '../platform/playingStory.ts';
import { launchChromium, openView, pageErrors, screenshot } from './chromium.ts';

/** The page's number format (app.js `num`): two decimals, none from 100 up. */
const shown = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

/** Registers the dashboard's tests on a story that is playing (started by the caller's beforeAll). */
export function describeDashboardOverTheStory(story: () => PlayingStory): void {
  describe('the dashboard over the local platform playing the story', () => {
    let browser: Browser;
    let page: Page;
    let base: string;
    let errors: string[];

    beforeAll(async () => {
      base = `${story().platform.api?.url}/`;
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      errors = pageErrors(page);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('charts a live canary window, both slots per period, and updates it without a reload', async () => {
      await openView(page, base, '#/live');
      const loaded = await page.evaluate(() => {
        (window as unknown as { loadedAt: number }).loadedAt = performance.timeOrigin;
        return performance.timeOrigin;
      });
      const chart = 'section.window[data-environment="qa"] canvas[id$="-latency"]';
      // A qa canary window of release 1 opens within the story's first minutes.
      await page.waitForFunction(
        (selector) => {
          const canvas = document.querySelector<HTMLCanvasElement>(selector);
          const series = canvas?.dataset.series ? (JSON.parse(canvas.dataset.series) as unknown[][]) : [];
          return series.length === 2 && series.some((s) => s.some((v) => typeof v === 'number'));
        },
        chart,
        { timeout: 300_000, polling: 200 },
      );
      const first = await page.$eval(chart, (c) => (c as HTMLCanvasElement).dataset.series as string);
      const legend = await page.$eval('section.window[data-environment="qa"]', (s) => s.textContent ?? '');
      expect(legend).toMatch(/orders v\d+ in qa at \d+ % traffic/);
      expect(legend).toMatch(/left \(platform clock\)/);
      // The series grows as the window runs: the same page, redrawn from server-sent events.
      await page.waitForFunction(
        ([selector, before]) => {
          const canvas = document.querySelector<HTMLCanvasElement>(selector as string);
          return canvas !== null && canvas.dataset.series !== before;
        },
        [chart, first],
        { timeout: 20_000, polling: 100 },
      );
      // For the picture: a few more periods of the same window, if it stays open that long.
      await page
        .waitForFunction(
          (selector) => {
            const canvas = document.querySelector<HTMLCanvasElement>(selector);
            const series = JSON.parse(canvas?.dataset.series ?? '[[]]') as unknown[][];
            return (series[0]?.length ?? 0) >= 8;
          },
          chart,
          { timeout: 5_000 },
        )
        .catch(() => undefined);
      await screenshot(page, 'live-window');
      expect(await page.evaluate(() => performance.timeOrigin)).toBe(loaded);
      expect(await page.evaluate(() => (window as unknown as { loadedAt?: number }).loadedAt)).toBe(loaded);
    }, 330_000);

    it('shows each service with the version running in each environment', async () => {
      const releases = await story().releases;
      expect(
        releases.map((r) => r.result.status),
        story().lines.join('\n'),
      ).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED']);
      const where = await story().platform.builds.whereRuns('orders');
      await openView(page, base, '#/');
      for (const environment of ['qa', 'prod']) {
        const chip = await page.textContent(
          `tr[data-service="orders"] .env[data-environment="${environment}"]`,
        );
        expect(chip).toContain(`v${where[environment]?.version}`);
        expect(chip).toContain(where[environment]?.commit.slice(0, 8));
      }
      expect(await page.textContent('tr[data-service="orders"]')).toContain('checkout');
      await screenshot(page, 'services');
    }, 330_000);

    it('lists the executions and draws one with the stages its stored pipe shape had', async () => {
      await openView(page, base, '#/service/orders');
      const rows = await page.$$eval('#executions tr', (trs) =>
        trs.slice(1).map((tr) => tr.textContent ?? ''),
      );
      expect(rows.map((r) => r.match(/^v(\d+)/)?.[1])).toEqual(['3', '2', '1']);
      expect(rows[0]).toMatch(/FAILED[\s\S]*push to trunk/);
      await screenshot(page, 'executions');

      const build = await story().platform.builds.getBuild('orders', 2);
      if (!build) throw new Error('the story left no build 2');
      const shape = (build.pipeShape as unknown as { shape: PipeShape }).shape;
      await openView(page, base, '#/service/orders/build/2');
      const stages = await page.$$eval('#pipe .stage', (els) =>
        els.map((e) => (e as HTMLElement).dataset.stage),
      );
      expect(stages).toEqual(shape.stages.map((s) => s.stage));
      expect(await page.textContent('#commit')).toBe(build.commit);
      // Per stage: status and duration, from the build's events.
      const verify = await page.textContent('#pipe [data-task="verify-test"]');
      expect(verify).toMatch(/ok \d+(\.\d)? (ms|s)/);
      const prodSteps = await page.$$eval(
        '.stage[data-stage="release"] [data-task="canary"] .steps .task',
        (els) => els.map((e) => `${(e as HTMLElement).dataset.task}:${(e as HTMLElement).dataset.state}`),
      );
      expect(prodSteps.length).toBeGreaterThanOrEqual(2);
      expect(prodSteps.every((s) => s.endsWith(':ok'))).toBe(true);
      await screenshot(page, 'execution');
    });

    it("shows the rolled-back release's evidence as Kayenta does, with the failing signal's numbers", async () => {
      const events = await story().platform.builds.listEvents('orders', 3);
      const rollback = events.find(
        (e): e is Extract<BuildEvent, { kind: 'PROMOTION' }> =>
          e.kind === 'PROMOTION' && e.promotion === 'ROLLED_BACK',
      );
      if (!rollback) throw new Error(`release 3 was not rolled back:\n${story().lines.join('\n')}`);
      const verdict = (
        rollback.evidence as {
          evidence: {
            verdict: {
              decisive: string;
              signals: {
                signal: string;
                test: string;
                baseline: { value: number };
                canary: { value: number };
              }[];
            };
          };
        }
      ).evidence.verdict;
      const failing = verdict.signals.find((s) => s.signal === verdict.decisive);
      expect(failing).toBeDefined();
      await openView(page, base, '#/service/orders/build/3');
      const heading = await page.textContent('#rollback-report h2');
      expect(heading).toMatch(/v3 was rolled back in qa at \d+ % traffic/);
      const row = await page.$$eval(`#rollback-report tr[data-signal="${failing?.signal}"] td`, (tds) =>
        tds.map((td) => td.textContent?.trim() ?? ''),
      );
      expect(row[0]).toContain('(decisive)');
      expect(row[1]).toBe(shown(failing?.baseline.value as number));
      expect(row[2]).toBe(shown(failing?.canary.value as number));
      // The test the judge used for that signal, with its p-value.
      expect(row[4]).toMatch(new RegExp(`^${failing?.test} p=`));
      expect(row[7]).toBe('FAIL');
      const bars = await page.$eval('#rb-1, #rb-0', (c) => (c as HTMLCanvasElement).dataset.series);
      expect(bars).toBeTruthy();
      await screenshot(page, 'rollback');
    });

    it('shows the cost estimate per team and per service over time', async () => {
      await openView(page, base, '#/cost');
      expect(await page.textContent('#cost-teams')).toContain('checkout');
      expect(await page.textContent('#cost-services')).toContain('orders');
      const series = JSON.parse(
        (await page.$eval('#cost-team', (c) => (c as HTMLCanvasElement).dataset.series)) as string,
      ) as number[][];
      const checkout = series[0] as number[];
      expect(checkout).toHaveLength(12);
      expect(checkout.at(-1)).toBeGreaterThan(0);
      expect(checkout.every((v, i) => i === 0 || v >= (checkout[i - 1] as number))).toBe(true);
      await screenshot(page, 'cost');
    });

    it('ran every view without a script error', () => {
      expect(errors).toEqual([]);
    });
  });
}
