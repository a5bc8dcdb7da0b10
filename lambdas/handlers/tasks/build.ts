// The build task on AWS (lambda:invoke.waitForTaskToken): starts the service's CodeBuild project with
// the task token; the buildspec resumes the state.
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, commandsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('build');

export const handler = taskHandler('build', {
  builds: buildRecordsFromEnv(env),
  commands: commandsFromEnv(env),
});
