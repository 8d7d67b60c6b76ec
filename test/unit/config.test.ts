import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONFIG_TEMPLATE, parseConfigText } from '../../src/config/parse.js';
import { resolveConfig, writeConfigTemplate } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/env.js';

const values = (text: string) => Object.fromEntries([...parseConfigText(text, 'f').values].map(([k, v]) => [k, v.value]));

test('reads the file ceph-build scripts write', () => {
  assert.deepEqual(values('url = "https://chacra.ceph.com"\nuser = "bot"\nkey = "s3cr3t"\nssl_verify = True\n'), {
    url: 'https://chacra.ceph.com',
    user: 'bot',
    key: 's3cr3t',
    ssl_verify: true,
  });
});

test('reads the template, comments, single quotes, escapes, False and a CA path', () => {
  assert.equal(values(CONFIG_TEMPLATE).url, 'http://example');
  assert.deepEqual(values('# c\n\nurl=\'http://a\' # trailing\nkey = "a\\"b"\nssl_verify = False\n'), { url: 'http://a', key: 'a"b', ssl_verify: false });
  assert.deepEqual(values('ssl_verify = "/etc/ca.pem"'), { ssl_verify: '/etc/ca.pem' });
  assert.deepEqual(values("key = r'a\\b'"), { key: 'a\\b' });
});

test('anything else is an error naming the file and line, and nothing is executed', () => {
  for (const [text, line] of [
    ['url = "x"\nimport os', 2],
    ['url = os.environ["X"]', 1],
    ['url = "unclosed', 1],
    ['url = "a" + "b"', 1],
    ['\n\nkey = 1234', 3],
  ] as const) {
    assert.throws(
      () => parseConfigText(text, '/home/u/.chacractl'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.line, line);
        assert.match(err.message, new RegExp(`^/home/u/\\.chacractl:${line}: `));
        return true;
      },
    );
  }
});

test('a library call writes no file; the first run (firstRun: writeConfigTemplate, as the CLI passes) writes the template with mode 0600, and the url needs setting (exit 2)', async () => {
  const home = tempDir();
  try {
    await assert.rejects(resolveConfig({ flags: {}, env: { HOME: home.path } }), /placeholder/);
    assert.ok(!existsSync(join(home.path, '.chacractl')), 'no side effect in a library call');
    await assert.rejects(resolveConfig({ flags: {}, env: { HOME: home.path }, firstRun: (file) => writeConfigTemplate(file) }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /placeholder/);
      assert.match(err.hint ?? '', /url = /);
      return true;
    });
    const file = join(home.path, '.chacractl');
    assert.equal(readFileSync(file, 'utf8'), CONFIG_TEMPLATE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  } finally {
    home.cleanup();
  }
});

test('precedence: flags over environment over the file; CHACRA_USER and CHACRA_KEY only as a pair', async () => {
  const home = tempDir();
  try {
    const file = join(home.path, '.chacractl');
    writeFileSync(file, 'url = "http://file"\nuser = "fileuser"\nkey = "filekey"\n', { mode: 0o600 });
    const env = { HOME: home.path };
    let c = await resolveConfig({ flags: {}, env });
    assert.deepEqual([c.url, c.user, c.key, c.sources.url], ['http://file', 'fileuser', 'filekey', 'file']);
    c = await resolveConfig({ flags: {}, env: { ...env, CHACRA_URL: 'http://env', CHACRA_USER: 'envuser' } });
    assert.deepEqual([c.url, c.user, c.key], ['http://env', 'fileuser', 'filekey'], 'a lone CHACRA_USER is ignored');
    c = await resolveConfig({ flags: {}, env: { ...env, CHACRA_USER: 'envuser', CHACRA_KEY: 'envkey' } });
    assert.deepEqual([c.user, c.key, c.sources.key], ['envuser', 'envkey', 'env']);
    c = await resolveConfig({
      flags: { url: 'https://flag/', user: 'u', key: 'k' },
      env: { ...env, CHACRA_URL: 'http://env', CHACRA_USER: 'x', CHACRA_KEY: 'y' },
    });
    assert.deepEqual([c.url, c.user, c.key, c.sources.url], ['https://flag', 'u', 'k', 'flag']);
  } finally {
    home.cleanup();
  }
});

test('CHACRACTL_CONFIG and --config name the file; a missing named file is an error', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'conf');
    writeFileSync(file, 'url = "http://named"\nuser="u"\nkey="k"\n', { mode: 0o600 });
    assert.equal((await resolveConfig({ flags: {}, env: { HOME: dir.path, CHACRACTL_CONFIG: file } })).url, 'http://named');
    assert.equal((await resolveConfig({ flags: { config: file }, env: { HOME: '/nonexistent' } })).url, 'http://named');
    await assert.rejects(resolveConfig({ flags: { config: join(dir.path, 'nope') }, env: { HOME: dir.path } }), /does not exist/);
  } finally {
    dir.cleanup();
  }
});

test('ssl_verify, --insecure, --ca and the CA variables of requests', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'c');
    const write = (extra: string) => writeFileSync(file, `url = "https://x"\nuser = "u"\nkey = "k"\n${extra}`, { mode: 0o600 });
    const tls = async (flags = {}, env = {}) => (await resolveConfig({ flags: { config: file, ...flags }, env })).tls;
    write('ssl_verify = False\n');
    assert.deepEqual(await tls(), { verify: false });
    write('ssl_verify = "/ca.pem"\n');
    assert.deepEqual(await tls(), { verify: true, caFile: '/ca.pem' });
    assert.deepEqual(await tls({ ca: '/flag.pem' }), { verify: true, caFile: '/flag.pem' });
    assert.deepEqual(await tls({ insecure: true }), { verify: false });
    write('ssl_verify = True\n');
    assert.deepEqual(await tls({}, { CURL_CA_BUNDLE: '/curl.pem', REQUESTS_CA_BUNDLE: '/req.pem' }), { verify: true, caFile: '/req.pem' });
    assert.deepEqual(await tls({}, { SSL_CERT_FILE: '/ssl.pem' }), { verify: true, caFile: '/ssl.pem' });
    assert.deepEqual(await tls(), { verify: true });
  } finally {
    dir.cleanup();
  }
});

test('wrong types, unknown keys, group-readable files and credentials in the url', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'c');
    writeFileSync(file, 'url = True\n');
    await assert.rejects(resolveConfig({ flags: { config: file }, env: {} }), /:1: url must be a quoted string/);
    writeFileSync(file, 'url = "http://x"\nuser = "u"\nkey = "k"\ncolour = "blue"\n');
    chmodSync(file, 0o644);
    const c = await resolveConfig({ flags: { config: file }, env: {} });
    assert.ok(c.warnings.some((w) => /:4: unknown key "colour"/.test(w)));
    assert.match(c.exposedKey ?? '', /readable by others/);
    assert.ok(!c.warnings.some((w) => /readable by others/.test(w)), 'not among the warnings every run logs');
    writeFileSync(file, 'url = "https://bob:pa55@chacra.example/"\n');
    const u = await resolveConfig({ flags: { config: file }, env: {} });
    assert.deepEqual([u.url, u.user, u.key], ['https://chacra.example', 'bob', 'pa55']);
    writeFileSync(file, 'url = "ftp://x"\nuser = "u"\nkey = "k"\n');
    await assert.rejects(resolveConfig({ flags: { config: file }, env: {} }), /must start with http/);
    writeFileSync(file, 'user = "u"\nkey = "k"\n');
    await assert.rejects(resolveConfig({ flags: { config: file }, env: {} }), /no chacra URL/);
  } finally {
    dir.cleanup();
  }
});
