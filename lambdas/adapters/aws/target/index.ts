export * from './config.ts';
export * from './Ec2DeployTarget.ts';
export * from './errors.ts';
export * from './fromEnv.ts';
export { TAG } from './tags.ts';
export type { WaitBudget } from './waiter.ts';
