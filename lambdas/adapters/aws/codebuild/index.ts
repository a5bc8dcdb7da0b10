export * from './errors.ts';
export * from './startBuild.ts';
