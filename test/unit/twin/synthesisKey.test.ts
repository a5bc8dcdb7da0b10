import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TWIN_ROOT } from '../../../lambdas/twin/TwinPlatform.ts';
import { synthesisKey } from '../../twin/support/synthesisCache.ts';

describe('the twin tests’ shared synthesis: its key (synthesisCache.ts)', () => {
  it('is the same for the same platform config wherever it lies, and another for a config one byte apart', () => {
    // Prepare: the example's platform config, a copy elsewhere, and a copy with one more byte
    const example = `${TWIN_ROOT}examples/platform.yml`;
    const dir = mkdtempSync(join(tmpdir(), 'vouch-synthesis-key-'));
    copyFileSync(example, join(dir, 'copy.yml'));
    writeFileSync(join(dir, 'edited.yml'), `${readFileSync(example, 'utf8')}\n`);

    // Act
    const keys = ['copy.yml', 'edited.yml'].map((f) => synthesisKey(join(dir, f)));
    rmSync(dir, { recursive: true });

    // Assess
    expect(keys[0]).toBe(synthesisKey(example));
    expect(keys[1]).not.toBe(keys[0]);
  });
});
