// The build task on AWS (lambda:invoke.waitForTaskToken): starts the service's CodeBuild project with
// the task token; the buildspec resumes the state.
import { buildRecordsFromEnv, commandsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

export const handler = taskHandler('build', { builds: buildRecordsFromEnv(), commands: commandsFromEnv() });
