// npm run docs: rewrites the README's command reference from the command
// definitions, and writes the library's API reference from its types
// (TypeDoc, from src/index.ts) to dist/docs/api.
//
//   node dist/scripts/docs.js           both
//   node dist/scripts/docs.js --check   only checks the API: fails when a public
//                                        signature uses a type src/index.ts does
//                                        not export, or a doc comment links nowhere
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application } from 'typedoc';
import { grammar } from '../src/cli/main.js';
import { referenceMarkdown, withReference } from '../src/cli/reference.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The API reference of src/index.ts, written to `out` unless undefined; throws on any validation warning. */
export async function apiReference(out: string | undefined): Promise<void> {
  const app = await Application.bootstrapWithPlugins({
    entryPoints: [join(root, 'src/index.ts')],
    tsconfig: join(root, 'tsconfig.json'),
    name: 'chacractl',
    readme: 'none',
    excludePrivate: true,
    // No links to a git host: a clone's origin may be a local path, which TypeDoc warns of.
    disableSources: true,
    excludeInternal: true,
    validation: { notExported: true, invalidLink: true, notDocumented: false },
    treatValidationWarningsAsErrors: true,
    logLevel: 'Warn',
    // tsc has checked the tree (npm run build); TypeDoc only reads it.
    skipErrorChecking: true,
  });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not read src/index.ts');
  app.validate(project);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw new Error('the API reference has problems (above)');
  if (out !== undefined) await app.generateDocs(project, out);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--check') {
    await apiReference(undefined);
  } else {
    const readme = join(root, 'README.md');
    writeFileSync(readme, withReference(readFileSync(readme, 'utf8'), referenceMarkdown(grammar)));
    console.log(`updated ${readme}`);
    const out = join(root, 'dist/docs/api');
    await apiReference(out);
    console.log(`wrote ${join(out, 'index.html')}`);
  }
}
