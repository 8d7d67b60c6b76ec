import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { errnoWords } from '../../errno-words.js';
import { isConfigTemplate, parseConfigText } from '../../config/parse.js';
import { defaultConfigPath, resolveConfig, writeConfigTemplate } from '../../config/resolve.js';
import { ConfigError, ExitCode, FileError, HttpError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { Invocation } from '../grammar.js';
import { ask } from '../io.js';
import { CommandFailure } from '../json.js';

export async function runConfigShow(_: Invocation, ctx: Context): Promise<number> {
  // A file that still holds the first run's template is shown, and said to be one.
  const c = await ctx.config({ needsCredentials: false, allowPlaceholder: true });
  // Off a terminal only config show says it: the context said it already on one.
  if (c.exposedKey !== undefined && ctx.io.stderr.isTTY !== true) ctx.logger.warn(c.exposedKey);
  const tls = c.tls.verify ? (c.tls.caFile ? `verify against ${c.tls.caFile}` : 'verify against the system CAs') : 'not verified';
  // The template is the file as the first run wrote it, not any file whose key happens to be "secret".
  const isTemplate = c.fileExists && isConfigTemplate(await readFile(c.file, 'utf8').catch(() => ''), c.file);
  const fromTemplate = (setting: 'user' | 'key') => isTemplate && c.sources[setting] === 'file';
  const doc = {
    file: c.file,
    url: { value: c.url ?? null, from: c.sources.url, ...(c.placeholder ? { placeholder: true } : {}) },
    shaman: c.shaman ? { url: c.shaman.url, user: c.shaman.user ?? null, keySet: c.shaman.key !== undefined, from: c.shaman.sources } : null,
    pool: c.url === undefined && c.shaman !== undefined,
    user: { value: c.user ?? null, from: c.sources.user, ...(fromTemplate('user') ? { placeholder: true } : {}) },
    key: { set: c.key !== undefined && c.key !== '', from: c.sources.key, ...(fromTemplate('key') ? { placeholder: true } : {}) },
    tls: { verify: c.tls.verify, caFile: c.tls.caFile ?? null, from: c.sources.tls },
  };
  if (ctx.json) {
    ctx.printJson(doc);
    return ExitCode.ok;
  }
  const template = "  the first run's template: run chacractl config init";
  ctx.print(`config file  ${c.file}`);
  if (c.url !== undefined) ctx.print(`url          ${c.url}  (from ${c.sources.url})${c.placeholder ? template : ''}`);
  else ctx.print('url          (none: the pool behind shaman is used)');
  if (c.shaman)
    ctx.print(
      `shaman       ${c.shaman.url}  (from ${c.shaman.sources.url}), user ${c.shaman.user ?? '(not set)'} (from ${c.shaman.sources.user}), key ${c.shaman.key !== undefined ? '(set)' : '(not set)'} (from ${c.shaman.sources.key})`,
    );
  ctx.print(`user         ${c.user ?? '(not set)'}  (from ${c.sources.user})${doc.user.placeholder ? template : ''}`);
  ctx.print(`key          ${doc.key.set ? '(set)' : '(not set)'}  (from ${c.sources.key})${doc.key.placeholder ? template : ''}`);
  ctx.print(`tls          ${tls}  (from ${c.sources.tls})`);
  if (c.placeholder) ctx.logger.warn(`the url is still the template's placeholder: commands that talk to the server refuse it`);
  return ExitCode.ok;
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** The url as it will be written: an http(s) URL, or a usage error before anything is written. */
function checkedUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a valid URL; nothing written`, { hint: 'write it in full, such as https://chacra.example.com' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--url ${JSON.stringify(raw)} must start with http:// or https://; nothing written`);
  return raw;
}

const CA_HINT = "give --ca the path of a PEM file of the CA certificates that signed the server's, or --insecure to write ssl_verify = False";

/**
 * The CA bundle's absolute path (the file is read from any directory later),
 * once it is known to be a readable PEM bundle of certificates.
 */
async function checkedCa(path: string, given: string): Promise<string> {
  const pem = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot read the CA bundle ${given}: ${errnoWords(err) ?? err.message}; nothing written`, {
      setting: 'ca',
      hint: CA_HINT,
      cause: err,
    });
  });
  let usable = pem.includes('-----BEGIN CERTIFICATE-----');
  try {
    if (usable) createSecureContext({ ca: pem });
  } catch {
    usable = false;
  }
  if (!usable) throw new ConfigError(`${given} is not a PEM bundle of CA certificates; nothing written`, { setting: 'ca', hint: CA_HINT });
  return path;
}

/** What the check of freshly written credentials found. */
type CheckOutcome = 'accepted' | 'refused' | 'no project' | 'not checked';

export async function runConfigInit({ values }: Invocation, ctx: Context): Promise<number> {
  const file = values.config ?? (ctx.io.env.CHACRACTL_CONFIG || undefined) ?? defaultConfigPath(ctx.io.env);
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : ''));
  const template = existing !== undefined && isConfigTemplate(existing, file);
  if (existing !== undefined && !template && !values.force) throw new FileError(`${file} exists; not overwritten`, { hint: 'pass --force to replace it' });
  const answers: Record<'url' | 'user' | 'key', string | undefined> = {
    url: values.url,
    user: values.user,
    key: values.key,
  };
  const missing = (Object.keys(answers) as (keyof typeof answers)[]).filter((k) => answers[k] === undefined);
  const terminal = ctx.io.stdin.isTTY === true && ctx.io.stderr.isTTY === true;
  if (missing.length) {
    if (!ctx.io.stdin.isTTY)
      throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`, { hint: 'pass them, or run config init on a terminal to be asked' });
    for (const k of missing) {
      const answer = (await ask(ctx.io, `${k}: `, { hidden: k === 'key', signal: ctx.signal })).trim();
      if (answer === '') throw new UsageError(`no ${k} given; nothing written`);
      answers[k] = answer;
      if (k === 'key') ctx.logger.addSecret(answer);
    }
  }
  // An https server signed by a private CA needs it, or the check below fails on TLS: ask on a terminal.
  let ca = values.ca;
  if (ca === undefined && !values.insecure && values.yes !== true && terminal && /^https:/i.test(answers.url!)) {
    const answer = (await ask(ctx.io, "CA bundle that signed the server's certificate (a PEM file; empty: the system's CAs): ", { signal: ctx.signal })).trim();
    if (answer !== '') ca = answer;
  }
  // Everything is checked before anything is written: a refused run leaves no file behind.
  const url = checkedUrl(answers.url!);
  if (ca !== undefined) ca = await checkedCa(resolve(ctx.io.cwd, ca), ca);
  const ssl = values.insecure ? 'False' : ca !== undefined ? quote(ca) : 'True';
  const text = `# written by chacractl config init\nurl = ${quote(url)}\nuser = ${quote(answers.user!)}\nkey = ${quote(answers.key!)}\nssl_verify = ${ssl}\n`;
  parseConfigText(text, file); // what is written must read back
  await writeConfigTemplate(file, text, true);
  if (!ctx.json) ctx.print(`wrote ${file} (mode 0600)${template ? ", in place of the first run's template" : ''}`);

  let check = values.yes === true;
  if (!check && terminal && !ctx.json) {
    const url = answers.url!.replace(/\/\/[^/@]*@/, '//');
    check = /^(y(es)?)?$/i.test((await ask(ctx.io, `check them against ${url}? [Y/n] `, { signal: ctx.signal })).trim());
  }
  const outcome: CheckOutcome = check ? await checkCredentials(ctx, file) : 'not checked';
  if (ctx.json) ctx.printJson({ file, replacedTemplate: template, check: outcome });
  return outcome === 'refused' ? ExitCode.unreachable : ExitCode.ok;
}

/**
 * Checks the credentials of a config file against its server without changing
 * anything. chacra has no endpoint for that; it checks credentials before
 * acting on a DELETE of a binary, and answers 404 for one that does not exist:
 * so a DELETE of a made-up binary answers 401 to bad credentials and 404 to
 * good ones. The project must exist: for a project that does not, chacra
 * answers 404 before it looks at the credentials (the local server checks them
 * first). POST /binaries/NAME/ would create the project, so an empty server
 * cannot be checked.
 */
async function checkCredentials(ctx: Context, file: string): Promise<CheckOutcome> {
  // What was written, not what CHACRA_URL, CHACRA_USER or CHACRA_KEY would put over it.
  const { CHACRA_URL: _url, CHACRA_USER: _user, CHACRA_KEY: _key, ...env } = ctx.io.env;
  const settings = await resolveConfig({ flags: { config: file, insecure: ctx.values.insecure === true }, env });
  ctx.logger.addSecret(settings.key);
  const client = await ctx.client({ settings });
  const projects = await client.listing<unknown>('binaries', [], ctx.signal);
  if (projects === undefined || projects === null || typeof projects !== 'object' || Array.isArray(projects))
    throw new ConfigError(`${settings.url}/binaries/ is not chacra's list of projects: is ${settings.url} the API root of a chacra server?`, { file });
  const project = Object.keys(projects).sort()[0];
  if (project === undefined) {
    ctx.logger.warn(`${settings.url} holds no project yet, and the credentials cannot be checked without creating one: the first upload will check them`);
    return 'no project';
  }
  const made = `chacractl-check-${randomBytes(6).toString('hex')}`;
  try {
    await client.deleteBinary({ project, ref: made, sha1: made, distro: made, version: made, arch: made, name: `${made}.rpm` }, ctx.signal);
  } catch (err) {
    if (err instanceof HttpError && (err.status === 401 || err.status === 403)) {
      ctx.logger.error(`${settings.url} refused user ${quote(settings.user ?? '')} with this key (it answered ${err.status})`);
      ctx.logger.error(`hint: run chacractl config init --force with the right user and key`);
      ctx.failure(
        new CommandFailure('http', `${settings.url} refused user ${quote(settings.user ?? '')} with this key (it answered ${err.status})`, {
          status: err.status,
          hint: 'run chacractl config init --force with the right user and key',
        }),
      );
      return 'refused';
    }
    throw err;
  }
  if (!ctx.json) ctx.print(`${settings.url} accepted user ${quote(settings.user ?? '')} and its key`);
  return 'accepted';
}
