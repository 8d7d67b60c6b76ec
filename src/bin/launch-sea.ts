// The single executable's main script: runs the CLI, carried as the asset
// "chacractl.js" (everything bundled in), with V8's code cache (see
// code-cache.ts). The cache the build makes (useCodeCache) covers only this
// script's top level; the one written after a run covers what the run used.
import { getAsset } from 'node:sea';
import { codeCacheDir, runBundle } from './code-cache.js';

// Set by scripts/package.ts.
declare const __CHACRACTL_BUNDLE_HASH__: string;

runBundle(
  {
    kind: 'sea',
    hash: __CHACRACTL_BUNDLE_HASH__,
    filename: `${process.execPath}/chacractl.js`,
    source: () => getAsset('chacractl.js', 'utf8'),
    // The single executable's require loads built-in modules only: all else is in the bundle.
    require,
  },
  codeCacheDir(process.env),
);
