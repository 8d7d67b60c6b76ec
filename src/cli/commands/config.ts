import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { parseConfigText } from '../../config/parse.js';
import { defaultConfigPath, writeConfigTemplate } from '../../config/resolve.js';
import { ExitCode, FileError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { CommandSpec, Invocation } from '../grammar.js';

export const configShow: CommandSpec = {
  path: ['config', 'show'],
  offline: true,
  summary: 'show the effective url, user and TLS settings, and where each came from (never the key)',
  args: [],
  options: [],
  examples: ['chacractl config show', 'CHACRA_URL=https://chacra.example chacractl config show --json'],
  async run(_: Invocation, ctx: Context): Promise<number> {
    const c = await ctx.config({ needsCredentials: false });
    const tls = c.tls.verify ? (c.tls.caFile ? `verify against ${c.tls.caFile}` : 'verify against the system CAs') : 'not verified';
    const doc = {
      file: c.file,
      url: { value: c.url, from: c.sources.url },
      user: { value: c.user ?? null, from: c.sources.user },
      key: { set: c.key !== undefined && c.key !== '', from: c.sources.key },
      tls: { verify: c.tls.verify, caFile: c.tls.caFile ?? null, from: c.sources.tls },
    };
    if (ctx.json) {
      ctx.printJson(doc);
      return ExitCode.ok;
    }
    ctx.print(`config file  ${c.file}`);
    ctx.print(`url          ${c.url}  (from ${c.sources.url})`);
    ctx.print(`user         ${c.user ?? '(not set)'}  (from ${c.sources.user})`);
    ctx.print(`key          ${doc.key.set ? '(set)' : '(not set)'}  (from ${c.sources.key})`);
    ctx.print(`tls          ${tls}  (from ${c.sources.tls})`);
    return ExitCode.ok;
  },
};

function quote(value: string): string {
  return JSON.stringify(value);
}

export const configInit: CommandSpec = {
  path: ['config', 'init'],
  offline: true,
  summary: 'write a config file (mode 0600) from --url, --user and --key, asking for what is missing on a terminal',
  args: [],
  options: ['force'],
  optionHelp: { force: 'overwrite an existing config file' },
  examples: ['chacractl config init --url https://chacra.ceph.com --user jenkins --key "$KEY"', 'chacractl config init   # asks'],
  async run({ values }: Invocation, ctx: Context): Promise<number> {
    const file = (values.config as string | undefined) ?? ctx.io.env.CHACRACTL_CONFIG ?? defaultConfigPath(ctx.io.env);
    if (
      !values.force &&
      (await stat(file).then(
        () => true,
        () => false,
      ))
    )
      throw new FileError(`${file} exists; not overwritten`, { hint: 'pass --force to replace it' });
    const answers: Record<'url' | 'user' | 'key', string | undefined> = {
      url: values.url as string | undefined,
      user: values.user as string | undefined,
      key: values.key as string | undefined,
    };
    const missing = (Object.keys(answers) as (keyof typeof answers)[]).filter((k) => answers[k] === undefined);
    if (missing.length) {
      if (!ctx.io.stdin.isTTY)
        throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`, { hint: 'pass them, or run config init on a terminal to be asked' });
      const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
      try {
        for (const k of missing) answers[k] = (await rl.question(`${k}: `)).trim();
      } finally {
        rl.close();
      }
    }
    const ssl = values.insecure ? 'False' : values.ca ? quote(values.ca as string) : 'True';
    const text = `# written by chacractl config init\nurl = ${quote(answers.url!)}\nuser = ${quote(answers.user!)}\nkey = ${quote(answers.key!)}\nssl_verify = ${ssl}\n`;
    parseConfigText(text, file); // what is written must read back
    await writeConfigTemplate(file, text, true);
    ctx.print(`wrote ${file} (mode 0600)`);
    return ExitCode.ok;
  },
};
