/**
 * The temporary directories the twin makes (per-commit source copies, instances' working directories,
 * the service logs), removed together when it stops, after the processes that run in them ended.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TwinTempDirs {
  private readonly dirs = new Set<string>();

  /** A new directory under the system's temporary directory, its name starting with `prefix`. */
  make(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  /** Removes every directory made so far. */
  async removeAll(): Promise<void> {
    const dirs = [...this.dirs];
    this.dirs.clear();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
