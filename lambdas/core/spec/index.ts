import { type AslDefinition, type CompileOptions, compilePipe } from './compile.ts';
import { loadFlavour } from './flavours.ts';
import type { FlavourName } from './schema.ts';

export * from './compile.ts';
export * from './errors.ts';
export { loadFlavour } from './flavours.ts';
export * from './pipeShape.ts';
export * from './schema.ts';
export * from './serviceSpec.ts';

/** The ASL of a shipped flavour: what CDK deploys as that flavour's state machine. */
export function compileFlavour(name: FlavourName, options: CompileOptions = {}): AslDefinition {
  return compilePipe(loadFlavour(name), options);
}
