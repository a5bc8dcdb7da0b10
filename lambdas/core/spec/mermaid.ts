import type { AslDefinition, AslState } from './compile.ts';

/**
 * Renders compiled ASL as a Mermaid flowchart, so `vouch show` prints the pipe as it will run
 * (GitHub renders the same text as a diagram). Map and Parallel states become subgraphs.
 */
export function toMermaid(definition: Pick<AslDefinition, 'StartAt' | 'States'>): string {
  const lines: string[] = ['flowchart TD'];
  // Prefixed: Mermaid reserves words such as `end`, which is also a state name here.
  const id = (name: string) => `s_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const label = (name: string, state: AslState): string => {
    const task = taskOf(state);
    const detail = task ? `<br/><small>${task.type}${task.params ? ` ${task.params}` : ''}</small>` : '';
    return `${name}${detail}`.replace(/"/g, "'");
  };

  const render = (states: Record<string, AslState>, indent: string) => {
    for (const [name, state] of Object.entries(states)) {
      const node = id(name);
      switch (state.Type) {
        case 'Map':
        case 'Parallel': {
          const kind =
            state.Type === 'Map'
              ? `each of ${String(state.ItemsPath).replace(/^\$\.(run\.)?config\./, '')}`
              : 'in parallel';
          lines.push(`${indent}subgraph ${node}["${name} (${kind})"]`);
          lines.push(`${indent}  direction TB`);
          if (state.Type === 'Map') {
            const processor = state.ItemProcessor as { StartAt: string; States: Record<string, AslState> };
            render(processor.States, `${indent}  `);
          } else {
            for (const branch of state.Branches as { States: Record<string, AslState> }[]) {
              render(branch.States, `${indent}  `);
            }
          }
          lines.push(`${indent}end`);
          break;
        }
        case 'Choice':
          lines.push(`${indent}${node}{"${name}"}`);
          break;
        case 'Succeed':
          lines.push(`${indent}${node}(["${name}"])`);
          break;
        case 'Fail':
          lines.push(`${indent}${node}(["${name}: ${String(state.Error ?? 'original error')}"])`);
          break;
        case 'Pass':
          lines.push(`${indent}${node}(["${name}"])`);
          break;
        default:
          lines.push(`${indent}${node}["${label(name, state)}"]`);
      }
      if (typeof state.Next === 'string') lines.push(`${indent}${node} --> ${id(state.Next)}`);
      for (const choice of (state.Choices as { Next: string; StringEquals?: string; Variable?: string }[]) ??
        []) {
        const when =
          choice.StringEquals ?? (choice.Variable ? `${choice.Variable.replace(/^\$\./, '')} set` : '');
        lines.push(`${indent}${node} -- "${when}" --> ${id(choice.Next)}`);
      }
      if (typeof state.Default === 'string')
        lines.push(`${indent}${node} -- otherwise --> ${id(state.Default)}`);
      for (const c of (state.Catch as { Next: string }[]) ?? [])
        lines.push(`${indent}${node} -. fails .-> ${id(c.Next)}`);
    }
  };
  lines.push(`  start((start)) --> ${id(definition.StartAt)}`);
  render(definition.States, '  ');
  return lines.join('\n');
}

function taskOf(state: AslState): { type: string; params: string } | undefined {
  const p = state.Parameters as
    | {
        task?: { type: string; params: Record<string, unknown> };
        Payload?: { task?: { type: string; params: Record<string, unknown> } };
      }
    | undefined;
  const task = p?.task ?? p?.Payload?.task;
  if (!task) return undefined;
  // The pipe shape is the compiler's, not a parameter anyone wrote: the graph is that shape already.
  const params = Object.entries(task.params)
    .filter(([k]) => k !== 'pipeShape')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return { type: task.type, params };
}
