/**
 * One temporary folder per test pass, removed when the pass ends: every fork and every process a test
 * starts inherits it as TMPDIR, so what tests and the libraries under them leave in the temporary
 * directory (CDK's cdk.out* assembly of every `new App()`, a killed platform's working folders, the
 * twin's shared synthesis) goes with the pass instead of piling up in /tmp (about a hundred cdk.out*
 * folders, up to 2.4 MB each, per pass before).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'vouch-test-'));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
