import { describe, expect, it } from 'vitest';
import { COMMAND_ENTRIES, COMMANDS, main } from '../../../scripts/vouch.ts';

/**
 * The command table lists each command by its help and loads the module that runs it when it runs:
 * the module it loads must be that command, with the help the table printed for it.
 */
describe('the vouch command table', () => {
  it('loads, for each command it lists, the command of that name with the same summary and usage', async () => {
    // Act
    const loaded = await Promise.all(COMMAND_ENTRIES.map((entry) => entry.load()));

    // Assess
    expect(loaded.map(({ name, summary, usage }) => ({ name, summary, usage }))).toEqual(
      COMMAND_ENTRIES.map((entry) => entry.help),
    );
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });

  it('runs the loaded command: its exit code and output come back through the table', async () => {
    // Prepare
    const out: string[] = [];
    const err: string[] = [];
    const ctx = {
      cwd: process.cwd(),
      env: {},
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
    };

    // Act
    const code = await main(['show', '--pipe', 'nosuch'], ctx);

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/unknown pipe "nosuch"; shipped: ci, ec2-canary, lambda-canary/);
  });
});
