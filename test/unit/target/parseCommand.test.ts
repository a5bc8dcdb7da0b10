import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../lambdas/adapters/local/target/serviceProcess.ts';
import { InvalidRunSpecError } from '../../../lambdas/core/target/errors.ts';

describe('parseCommand', () => {
  it('splits on whitespace', () => {
    expect(parseCommand('  node   server.mjs --flag ')).toEqual(['node', 'server.mjs', '--flag']);
  });

  it('groups quoted words and keeps empty quoted arguments', () => {
    expect(parseCommand(`node "my server.mjs" --name='a b' ""`)).toEqual([
      'node',
      'my server.mjs',
      '--name=a b',
      '',
    ]);
  });

  it('refuses an empty command and an unclosed quote', () => {
    expect(() => parseCommand('   ')).toThrow(InvalidRunSpecError);
    expect(() => parseCommand('node "server.mjs')).toThrow(InvalidRunSpecError);
  });
});
