import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The twin's release tests wait on its clock for minutes each; started last (vitest's default order
 * without a results cache is by file size, and theirs are small), they would run alone at the end of
 * the pass while the forks have nothing else to do. Started first, the short files fill the other forks.
 */
const SLOWEST_FIRST = [
  'test/twin/story.test.ts',
  'test/twin/faultsTimeouts.test.ts',
  'test/twin/faults.test.ts',
  'test/twin/release.test.ts',
  'test/twin/lambdaStory.test.ts',
  'test/twin/rollback.test.ts',
  'test/twin/templates.test.ts',
  'test/twin/concurrency.test.ts',
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST_FIRST.findIndex((slow) => f.moduleId.endsWith(slow));
      return i === -1 ? SLOWEST_FIRST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Three forks on two cores: the twin's tests spend most of their time waiting on its clock (release
    // 1 took 36 s of CPU in 88 s of wall time); the e2e pass runs one file at a time (npm test).
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    sequence: { sequencer: SlowestFirst },
  },
});
