// The unlock task on AWS: the build data repository only.
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

export const handler = taskHandler('unlock', { builds: buildRecordsFromEnv(readFunctionEnv('unlock')) });
