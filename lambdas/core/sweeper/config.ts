/**
 * The sweeper's settings, one schema for both places it runs: the platform config's
 * `platform.sweeper` (the scheduled Lambda on AWS) and the local platform's options (`npm start`).
 * A bad value is refused with what to write instead; nothing falls back to a default silently.
 */
import { z } from 'zod';
import { SweepConfigError } from './errors.ts';
import { DEFAULT_KEEP_IMAGES } from './sweep.ts';

export const SweeperSettingsSchema = z.strictObject({
  /**
   * Images (AMIs with their snapshots, image folders, function versions) kept per service besides
   * those an environment serves or a running run baked, newest first: what a rollback can go back to.
   * @default 3
   */
  keepImages: z
    .int()
    .min(1, 'keep at least 1 image: rollback needs one')
    .max(1000)
    .default(DEFAULT_KEEP_IMAGES),
  /** How often the sweeper runs, in minutes of the platform's clock. @default 60 */
  everyMinutes: z
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  /**
   * A run's resource younger than this is left alone whatever its run's state (a run that has just
   * started may not be readable as running yet). @default 15
   */
  graceMinutes: z
    .number()
    .min(0)
    .max(24 * 60)
    .default(15),
});

export type SweeperSettingsInput = z.input<typeof SweeperSettingsSchema>;
export type SweeperSettings = z.output<typeof SweeperSettingsSchema>;

/** Validated settings, or SweepConfigError naming each bad key. */
export function parseSweeperSettings(input: unknown, where = 'sweeper'): SweeperSettings {
  const parsed = SweeperSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`);
  throw new SweepConfigError(`bad sweeper settings: ${problems.join('; ')}`, { cause: parsed.error });
}
