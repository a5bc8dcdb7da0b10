#!/usr/bin/env node
// `vouch` launcher: registers tsx so the TypeScript CLI runs without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./vouch.ts');
