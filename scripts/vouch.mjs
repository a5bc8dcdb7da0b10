#!/usr/bin/env node
// `vouch` launcher: registers tsx so the TypeScript CLI runs without a build step, then runs it. The
// entry is this file, whatever started it (a bin link from `npm link`, `npx vouch`, `npm run vouch`).
import { register } from 'tsx/esm/api';

// The AWS SDK's notice that its 2027 releases need Node 22 is printed on every start under Node 20;
// the README documents Node 22, and the notice is not about anything the command did.
const warn = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : `${warning?.name}: ${warning?.message}`;
  if (text.includes('NodeVersionSupportWarning')) return;
  warn(warning, ...rest);
};

register();
const { runFromProcess } = await import('./vouch.ts');
await runFromProcess();
