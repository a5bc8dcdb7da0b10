export * from './buildVouchApp.ts';
