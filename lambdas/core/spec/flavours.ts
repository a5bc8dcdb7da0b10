import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError, UnknownFlavourError } from './errors.ts';
import {
  FLAVOURS,
  type FlavourName,
  FlavourSpecSchema,
  FragmentsSchema,
  type PipeSpec,
  type StageSpec,
} from './schema.ts';
import { parseYamlSource, validateYaml } from './yamlSource.ts';

const flavourDir = join(dirname(fileURLToPath(import.meta.url)), 'flavours');

/** Reads a shipped flavour and resolves its `ref:`s against fragments.yml. */
export function loadFlavour(name: FlavourName, dir = flavourDir): PipeSpec {
  if (!FLAVOURS.includes(name)) throw new UnknownFlavourError(name, FLAVOURS);
  const fragmentsFile = join(dir, 'fragments.yml');
  const fragments = validateYaml(
    parseYamlSource(readFileSync(fragmentsFile, 'utf8'), fragmentsFile),
    FragmentsSchema,
  );
  const file = join(dir, `${name}.yml`);
  const source = parseYamlSource(readFileSync(file, 'utf8'), file);
  const flavour = validateYaml(source, FlavourSpecSchema);
  const resolve = (section: 'first' | 'main' | 'last'): StageSpec[] =>
    flavour[section].flatMap((entry, i) => {
      if (!('ref' in entry)) return [entry];
      const stages = fragments[entry.ref];
      if (!stages) {
        throw new SpecError([
          {
            file,
            ...source.locate([section, i, 'ref']),
            path: `${section}[${i}].ref`,
            message: `unknown fragment "${entry.ref}"; fragments: ${Object.keys(fragments).join(', ')}`,
          },
        ]);
      }
      return stages;
    });
  const pipe: PipeSpec = {
    name,
    description: flavour.description,
    first: resolve('first'),
    main: resolve('main'),
    last: resolve('last'),
  };
  assertUniqueNames(pipe, file);
  return pipe;
}

/** Stage and task names become state names, which must be unique in a state machine. */
function assertUniqueNames(pipe: PipeSpec, file: string): void {
  const seen = new Set<string>();
  for (const stage of [...pipe.first, ...pipe.main, ...pipe.last]) {
    const names = [
      ...(stage.parallel || stage.each ? [stage.stage] : []),
      ...stage.acquire.map((t) => t.name),
      ...stage.tasks.map((t) => t.name),
      ...stage.onFailure.map((t) => t.name),
    ];
    for (const n of names) {
      if (seen.has(n)) {
        throw new SpecError([
          { file, line: 1, col: 1, path: n, message: `name "${n}" is used twice in the pipe` },
        ]);
      }
      seen.add(n);
    }
  }
}
