export * from './artifactSource.ts';
export * from './cloudWatchCanarySamples.ts';
export * from './errors.ts';
export * from './fromEnv.ts';
export * from './snsNotify.ts';
export * from './taskHandler.ts';
