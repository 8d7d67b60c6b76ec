// Resolves the effective settings once: flags over environment over the file.
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { CONFIG_TEMPLATE, parseConfigText, PLACEHOLDER_URL, type ConfigValue } from './parse.js';

export type Source = 'flag' | 'env' | 'file' | 'url' | 'default';

export interface TlsSettings {
  /** false turns certificate verification off (ssl_verify = False, --insecure). */
  verify: boolean;
  /** A PEM bundle that replaces the system CAs. */
  caFile?: string | undefined;
}

/** shaman, in front of a pool of chacra nodes (its own origin, its own credentials). */
export interface ShamanSettings {
  url: string;
  user: string | undefined;
  key: string | undefined;
  sources: { url: Source; user: Source; key: Source };
}

export interface ResolvedConfig {
  /** The chacra server; undefined when the pool behind `shaman` is used instead. */
  url: string | undefined;
  /** Set when shaman is configured; the pool is used when no chacra url is. */
  shaman: ShamanSettings | undefined;
  user: string | undefined;
  key: string | undefined;
  tls: TlsSettings;
  /** Where each value came from, for `config show` and messages. */
  sources: { url: Source; user: Source; key: Source; tls: Source };
  /** The config file consulted, whether or not it existed. */
  file: string;
  /** Whether that file exists (also when this run just wrote the first run's template): advice names only a file that does. */
  fileExists: boolean;
  /** The url is still the template's placeholder (only with allowPlaceholder). */
  placeholder: boolean;
  warnings: string[];
  /**
   * Set when the config file holds a key and others may read it: what to say
   * about it. Kept apart from `warnings`: a job that runs chacractl a hundred
   * times with such a file should not log it a hundred times (the CLI says it
   * on a terminal, and in config show).
   */
  exposedKey: string | undefined;
}

export interface ConfigFlags {
  url?: string | undefined;
  user?: string | undefined;
  key?: string | undefined;
  config?: string | undefined;
  insecure?: boolean | undefined;
  ca?: string | undefined;
  shaman?: string | undefined;
}

const KNOWN_KEYS = new Set(['url', 'user', 'key', 'ssl_verify', 'shaman_url', 'shaman_user', 'shaman_key']);

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.HOME || homedir(), '.chacractl');
}

interface FileValues {
  url?: string;
  user?: string;
  key?: string;
  ssl_verify?: ConfigValue;
  shaman_url?: string;
  shaman_user?: string;
  shaman_key?: string;
}

async function readConfigFile(path: string, mustExist: boolean, warnings: string[], exposed: { text?: string }): Promise<FileValues | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !mustExist) return undefined;
    throw new ConfigError(code === 'ENOENT' ? 'the config file does not exist' : `cannot read the config file (${code})`, {
      file: path,
      cause: err,
    });
  }
  const parsed = parseConfigText(text, path);
  const out: FileValues = {};
  for (const [key, { value, line }] of parsed.values) {
    if (!KNOWN_KEYS.has(key)) {
      warnings.push(`${path}:${line}: unknown key "${key}" is ignored (known: ${[...KNOWN_KEYS].join(', ')})`);
      continue;
    }
    if (key === 'ssl_verify') {
      out.ssl_verify = value;
    } else if (typeof value !== 'string') {
      throw new ConfigError(`${key} must be a quoted string, not ${value ? 'True' : 'False'}`, { file: path, line });
    } else {
      out[key as 'url' | 'user' | 'key' | 'shaman_url' | 'shaman_user' | 'shaman_key'] = value;
    }
  }
  try {
    const mode = (await stat(path)).mode;
    if (mode & 0o077 && (out.key !== undefined || out.shaman_key !== undefined))
      exposed.text = `${path} holds a key and is readable by others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${path}`;
  } catch {
    // stat after a successful read only fails in a race; the warning is best effort.
  }
  return out;
}

/** Writes the Python client's template, readable by its owner only (defect 11). */
export async function writeConfigTemplate(path: string, text = CONFIG_TEMPLATE, overwrite = false): Promise<void> {
  await writeFile(path, text, { mode: 0o600, flag: overwrite ? 'w' : 'wx' });
  await chmod(path, 0o600);
}

function credentialsFromUrl(raw: string): { url: string; user?: string; key?: string } {
  try {
    const u = new URL(raw);
    if (!u.username && !u.password) return { url: raw };
    const user = decodeURIComponent(u.username);
    const key = decodeURIComponent(u.password);
    u.username = '';
    u.password = '';
    return { url: u.toString(), user: user || undefined, key: key || undefined } as { url: string; user?: string; key?: string };
  } catch {
    return { url: raw };
  }
}

export interface ResolveOptions {
  flags: ConfigFlags;
  env: NodeJS.ProcessEnv;
  /** Commands that only read (exists, ls) do not need credentials. */
  needsCredentials?: boolean;
  /** Return a url that is still the template's placeholder, marked, instead of refusing it (config show). */
  allowPlaceholder?: boolean;
  /** Called when there is no config file and the settings are incomplete, as the Python client's first run wrote its template (the CLI passes writeConfigTemplate). */
  firstRun?: (file: string) => Promise<void>;
}

export async function resolveConfig({ flags, env, needsCredentials = true, allowPlaceholder = false, firstRun }: ResolveOptions): Promise<ResolvedConfig> {
  const warnings: string[] = [];
  const explicitFile = flags.config ?? (env.CHACRACTL_CONFIG || undefined);
  const file = explicitFile ?? defaultConfigPath(env);
  const envUser = env.CHACRA_USER || undefined;
  const envKey = env.CHACRA_KEY || undefined;
  // As in the Python client, CHACRA_USER and CHACRA_KEY replace the file's only as a pair.
  const envCreds = envUser !== undefined && envKey !== undefined;
  const urlGiven = flags.url ?? (env.CHACRA_URL || undefined) ?? flags.shaman ?? (env.CHACRA_SHAMAN_URL || undefined);
  // A chacra url with user:key@ in it gives the credentials too.
  const chacraUrl = flags.url ?? (env.CHACRA_URL || undefined);
  const urlCreds = chacraUrl !== undefined && credentialsFromUrl(chacraUrl.trim()).key !== undefined;
  const haveEverything = urlGiven !== undefined && (!needsCredentials || (flags.user ?? (envCreds || undefined)) !== undefined || urlCreds);

  const exposed: { text?: string } = {};
  let fileValues = await readConfigFile(file, explicitFile !== undefined, warnings, exposed);
  let fileExists = fileValues !== undefined;
  if (fileValues === undefined && !haveEverything) {
    // The Python client wrote its template on first run; scripts overwrite it
    // later. A library call writes nothing: only a caller that asks (the CLI).
    if (firstRun) {
      try {
        await firstRun(file);
        fileExists = true;
        warnings.push(`created ${file} from the template: set url, user and key in it`);
      } catch (err) {
        warnings.push(`could not create ${file}: ${(err as Error).message}`);
      }
    }
    fileValues = { url: PLACEHOLDER_URL, user: 'chacra user', key: 'secret', ssl_verify: true };
  }
  fileValues ??= {};

  const pick = <T>(flag: T | undefined, envValue: T | undefined, fileValue: T | undefined): [T | undefined, Source] =>
    flag !== undefined ? [flag, 'flag'] : envValue !== undefined ? [envValue, 'env'] : [fileValue, 'file'];

  let [url, urlSource] = pick(flags.url, env.CHACRA_URL || undefined, fileValues.url);
  let [user, userSource] = pick(flags.user, envCreds ? envUser : undefined, fileValues.user);
  let [key, keySource] = pick(flags.key, envCreds ? envKey : undefined, fileValues.key);
  const shaman = shamanSettings(flags, env, fileValues, file);
  const tls = tlsSettings(flags, env, fileValues);

  // The chacra url wins when it is set; with shaman and no url of its own
  // (none, or the first run's placeholder), the pool behind shaman is used.
  const noUrl = url === undefined || url.trim() === '' || (urlSource === 'file' && url.trim().replace(/\/+$/, '') === PLACEHOLDER_URL);
  const resolved = (resolvedUrl: string | undefined, placeholder: boolean): ResolvedConfig => ({
    url: resolvedUrl,
    shaman,
    user,
    key,
    tls: tls.settings,
    sources: { url: urlSource, user: userSource, key: keySource, tls: tls.source },
    file,
    fileExists,
    placeholder,
    warnings,
    exposedKey: exposed.text,
  });
  if (shaman && noUrl) return resolved(undefined, false);

  if (url === undefined || url.trim() === '')
    throw new ConfigError('no chacra URL is configured', {
      file,
      hint: `add url = "https://chacra.example.com" to ${file}, or pass --url or set CHACRA_URL (or shaman_url, --shaman or CHACRA_SHAMAN_URL for a pool behind shaman)`,
    });
  url = url.trim();
  const fromUrl = credentialsFromUrl(url);
  url = fromUrl.url;
  if (fromUrl.user !== undefined && userSource === 'file') [user, userSource] = [fromUrl.user, 'url'];
  if (fromUrl.key !== undefined && keySource === 'file') [key, keySource] = [fromUrl.key, 'url'];

  const placeholder = url.replace(/\/+$/, '') === PLACEHOLDER_URL;
  if (placeholder && !allowPlaceholder)
    throw new ConfigError(`the url is still the template's placeholder ${JSON.stringify(PLACEHOLDER_URL)}`, {
      file: urlSource === 'file' ? file : undefined,
      hint: `set url = "https://your-chacra-server" in ${file} (chacractl config init writes it), or pass --url or set CHACRA_URL`,
    });
  return resolved(
    httpUrl(url, 'the url', 'https://chacra.example.com', urlSource === 'file' ? file : undefined)
      .toString()
      .replace(/\/+$/, ''),
    placeholder,
  );
}

/** An http(s) URL from a setting, or a ConfigError that says which and where. */
function httpUrl(raw: string, what: string, example: string, file: string | undefined): URL {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${what} ${JSON.stringify(raw)} is not a valid URL`, { file, hint: `write it in full, such as ${example}` });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(`${what} ${JSON.stringify(raw)} must start with http:// or https://`, { file });
  // Paths are appended to the API root as text: after a ? or # they would be a
  // query or fragment, and every request would go to the root itself.
  if (/[?#]/.test(raw)) {
    parsed.username = '';
    parsed.password = '';
    throw new ConfigError(`${what} ${JSON.stringify(parsed.toString())} holds a query or fragment (? or #): it must be the API root alone`, {
      file,
      hint: `write it such as ${example}`,
    });
  }
  return parsed;
}

/** TLS settings, for chacra and shaman alike: --insecure, --ca, ssl_verify, then the CA variables of requests. */
function tlsSettings(flags: ConfigFlags, env: NodeJS.ProcessEnv, fileValues: FileValues): { settings: TlsSettings; source: Source } {
  let tls: TlsSettings = { verify: true };
  let tlsSource: Source = 'default';
  if (flags.insecure) {
    tls = { verify: false };
    tlsSource = 'flag';
  } else if (flags.ca !== undefined) {
    tls = { verify: true, caFile: flags.ca };
    tlsSource = 'flag';
  } else if (typeof fileValues.ssl_verify === 'string') {
    tls = { verify: true, caFile: fileValues.ssl_verify };
    tlsSource = 'file';
  } else if (fileValues.ssl_verify === false) {
    tls = { verify: false };
    tlsSource = 'file';
  } else {
    // ssl_verify = True: like requests (and so the Python client), take a CA
    // bundle from the environment; NODE_EXTRA_CA_CERTS Node applies itself.
    for (const name of ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE']) {
      const value = env[name];
      if (value) {
        tls = { verify: true, caFile: value };
        tlsSource = 'env';
        break;
      }
    }
  }

  return { settings: tls, source: tlsSource };
}

/** shaman's url (--shaman, CHACRA_SHAMAN_URL, shaman_url) and credentials (SHAMAN_API_USER/KEY, as Ceph's jobs export them, or the file). */
function shamanSettings(flags: ConfigFlags, env: NodeJS.ProcessEnv, fileValues: FileValues, file: string): ShamanSettings | undefined {
  const [raw, urlSource] =
    flags.shaman !== undefined
      ? [flags.shaman, 'flag' as Source]
      : env.CHACRA_SHAMAN_URL
        ? [env.CHACRA_SHAMAN_URL, 'env' as Source]
        : [fileValues.shaman_url, 'file' as Source];
  if (raw === undefined || raw.trim() === '') return undefined;
  const parsed = httpUrl(raw.trim(), 'the shaman url', 'https://shaman.ceph.com', urlSource === 'file' ? file : undefined);
  const [user, userSource]: [string | undefined, Source] = env.SHAMAN_API_USER ? [env.SHAMAN_API_USER, 'env'] : [fileValues.shaman_user, 'file'];
  const [key, keySource]: [string | undefined, Source] = env.SHAMAN_API_KEY ? [env.SHAMAN_API_KEY, 'env'] : [fileValues.shaman_key, 'file'];
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/+$/, ''), user, key, sources: { url: urlSource, user: userSource, key: keySource } };
}
