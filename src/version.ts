import { readFileSync } from 'node:fs';

// Set by the single-executable build, which has no package.json beside it.
declare const __CHACRACTL_VERSION__: string | undefined;

// Otherwise read from package.json, so `--version` cannot drift from the package.
export const VERSION: string =
  typeof __CHACRACTL_VERSION__ === 'string'
    ? __CHACRACTL_VERSION__
    : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
