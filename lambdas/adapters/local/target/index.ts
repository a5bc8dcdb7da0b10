export { DEFAULT_IMAGE_EXCLUDES, readImage } from './image.ts';
export { LocalDeployTarget, type LocalDeployTargetOptions } from './LocalDeployTarget.ts';
export { readResourceJournal } from './resourceJournal.ts';
export {
  DEFAULT_HEALTH_DEADLINE_MS,
  type HealthCheckOptions,
  liveServiceProcessCount,
  parseCommand,
  stopAllServiceProcesses,
} from './serviceProcess.ts';
