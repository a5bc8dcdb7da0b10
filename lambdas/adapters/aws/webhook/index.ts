export * from './gitHubSpecReader.ts';
export * from './gitLabSpecReader.ts';
export * from './secretReader.ts';
export * from './sfnStarter.ts';
export * from './specFileFetch.ts';
