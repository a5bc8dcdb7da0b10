export * from './app/index.ts';
export * from './config/index.ts';
export * from './platform/index.ts';
export * from './service/index.ts';
