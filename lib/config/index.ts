export * from './errors.ts';
export * from './platformConfig.ts';
