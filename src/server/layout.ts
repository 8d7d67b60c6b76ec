// The data directory as chacra lays it out and reads it back: where a binary
// lives, the names a filesystem can hold, the binaries found under public/,
// and chacra's ways of writing times.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BinaryTarget } from '../types.js';

/** A binary's place in the store: its target, with the flavor always named ("default"). */
export interface BinaryKey extends Omit<BinaryTarget, 'flavor'> {
  flavor: string;
}

/** The path of a binary below the public root, in chacra's layout. */
export function relativeBinaryPath(b: BinaryKey & { name: string }): string {
  const parts = [b.project, b.ref, b.sha1, b.distro, b.version, b.arch];
  if (b.flavor !== 'default') parts.push('flavors', b.flavor);
  parts.push(b.name);
  return parts.join('/');
}

/** The longest name of one file or directory that common filesystems hold, in bytes (NAME_MAX). */
export const NAME_MAX = 255;

/**
 * Why `name` cannot be one file or directory name in the data directory (it
 * would fail there, or land elsewhere), or undefined when it can.
 */
export function unusableName(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `cannot be ${JSON.stringify(name)}`;
  if (name.includes('/')) return 'cannot contain "/"';
  if (name.includes('\u0000')) return 'cannot contain a NUL byte';
  const bytes = Buffer.byteLength(name);
  if (bytes > NAME_MAX) return `is too long for the filesystem (${bytes} bytes; at most ${NAME_MAX})`;
  return undefined;
}

/** A name cut short for a message. */
export function preview(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);
}

export function* walkBinaries(root: string): Generator<{ rel: string; name: string; key: BinaryKey }> {
  const dirs = (path: string) => readdirSync(path, { withFileTypes: true });
  for (const p of dirs(root))
    if (p.isDirectory())
      for (const r of dirs(join(root, p.name)))
        if (r.isDirectory())
          for (const s of dirs(join(root, p.name, r.name)))
            if (s.isDirectory())
              for (const d of dirs(join(root, p.name, r.name, s.name)))
                if (d.isDirectory())
                  for (const v of dirs(join(root, p.name, r.name, s.name, d.name)))
                    if (v.isDirectory())
                      for (const a of dirs(join(root, p.name, r.name, s.name, d.name, v.name))) {
                        if (!a.isDirectory()) continue;
                        const archDir = join(root, p.name, r.name, s.name, d.name, v.name, a.name);
                        const base = { project: p.name, ref: r.name, sha1: s.name, distro: d.name, version: v.name, arch: a.name };
                        for (const f of dirs(archDir)) {
                          if (f.isFile())
                            yield { rel: relativeBinaryPath({ ...base, flavor: 'default', name: f.name }), name: f.name, key: { ...base, flavor: 'default' } };
                          else if (f.isDirectory() && f.name === 'flavors' && existsSync(join(archDir, 'flavors')))
                            for (const fl of dirs(join(archDir, 'flavors')))
                              if (fl.isDirectory())
                                for (const ff of dirs(join(archDir, 'flavors', fl.name)))
                                  if (ff.isFile())
                                    yield {
                                      rel: relativeBinaryPath({ ...base, flavor: fl.name, name: ff.name }),
                                      name: ff.name,
                                      key: { ...base, flavor: fl.name },
                                    };
                        }
                      }
}

/** chacra's timestamps: "YYYY-MM-DD HH:MM:SS.ffffff", UTC, no zone. */
export function chacraTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-24T03:24:59.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

/** chacra's last_changed: "3 minutes, 2 seconds ago", and " ago" for no time at all. */
export function ageText(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ] as const) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
  }
  return `${parts.slice(0, 2).join(', ')} ago`;
}
