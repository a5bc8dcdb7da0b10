export * from './BotSchedules.ts';
export * from './EnvironmentRouting.ts';
export * from './GoldenSignalAlarms.ts';
export * from './LambdaAliases.ts';
export * from './ServiceBuildProject.ts';
export * from './ServiceDashboard.ts';
export * from './ServiceStack.ts';
