// Keeps the README's generated parts true: the example .vouch.yml, the example canary section
// (examples/canary.yml, which test/unit/canary/readme.test.ts parses), `vouch show` in the example
// service's folder, and `vouch show --pipe` of each flavour.
// `npm run docs` rewrites them; test/unit/readme.test.ts fails when they are out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { FLAVOURS, loadFlavour, parseServiceSpec } from '../lambdas/core/spec/index.ts';
import { pipeToMermaid, serviceView } from '../lambdas/core/spec/mermaid.ts';
import { ReadmeMarkersMissingError } from './errors.ts';

export const README = new URL('../README.md', import.meta.url);
export const EXAMPLE_SPEC = new URL('../examples/orders/.vouch.yml', import.meta.url);
export const EXAMPLE_CANARY = new URL('../examples/canary.yml', import.meta.url);

function replaceBetween(text: string, open: string, close: string, body: string): string {
  const start = text.indexOf(open);
  const end = text.indexOf(close, start + open.length);
  if (start < 0 || end < 0) throw new ReadmeMarkersMissingError(open, close);
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(end)}`;
}

export function renderReadme(readme: string): string {
  let text = replaceBetween(
    readme,
    '<!-- example-spec -->',
    '<!-- /example-spec -->',
    `\`\`\`yaml\n${readFileSync(EXAMPLE_SPEC, 'utf8').trimEnd()}\n\`\`\``,
  );
  text = replaceBetween(
    text,
    '<!-- canary-example -->',
    '<!-- /canary-example -->',
    `\`\`\`yaml\n${readFileSync(EXAMPLE_CANARY, 'utf8').trimEnd()}\n\`\`\``,
  );
  const example = parseServiceSpec(readFileSync(EXAMPLE_SPEC, 'utf8'));
  text = replaceBetween(
    text,
    '<!-- vouch show example -->',
    '<!-- /vouch show -->',
    `\`npx vouch show examples/orders/.vouch.yml\`:\n\n\`\`\`mermaid\n${pipeToMermaid(loadFlavour(example.pipe), serviceView(example))}\n\`\`\``,
  );
  for (const flavour of FLAVOURS) {
    text = replaceBetween(
      text,
      `<!-- vouch show ${flavour} -->`,
      '<!-- /vouch show -->',
      `\`npx vouch show --pipe ${flavour}\`:\n\n\`\`\`mermaid\n${pipeToMermaid(loadFlavour(flavour))}\n\`\`\``,
    );
  }
  return text;
}

if (process.argv[1] && /docs\.ts$/.test(process.argv[1])) {
  writeFileSync(README, renderReadme(readFileSync(README, 'utf8')));
  console.log('README.md updated');
}
