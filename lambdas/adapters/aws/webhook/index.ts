export * from './gitHubSpecReader.ts';
export * from './secretReader.ts';
export * from './sfnStarter.ts';
