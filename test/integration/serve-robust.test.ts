// `chacractl serve` answers whatever a request holds, as a web server would,
// and goes on serving; and it refuses to start with a message that names the
// problem, never as a bug of chacractl (issue 11, item 8).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, type Serving, serve, tempDir, type TempDir } from '../helpers/env.js';

const LONG = 'a'.repeat(300);
const AUTH = { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` };

function upload(url: string, name: string, options: { body?: Blob } = {}): Promise<Response> {
  const form = new FormData();
  form.append('file', options.body ?? new Blob(['some bytes']), name);
  return fetch(url, { method: 'POST', headers: AUTH, body: form });
}

async function jsonMessage(r: Response): Promise<string> {
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const body = (await r.json()) as { message?: unknown };
  assert.equal(typeof body.message, 'string', JSON.stringify(body));
  return body.message as string;
}

describe('serve: no request crashes it', () => {
  let home: TempDir;
  let server: Serving;
  let data: string;
  const target = () => `${server.url}/binaries/p/main/s/centos/9/x86_64/`;

  before(async () => {
    home = tempDir();
    data = join(home.path, 'data');
    server = await serve(['--data', data, '--repo-step', '0'], home.path);
  });
  after(async () => {
    await server?.stop();
    home?.cleanup();
  });

  /** After each bad request: the process still runs and answers. */
  async function stillServing(): Promise<void> {
    assert.equal(server.child.exitCode, null, `serve exited: ${server.stderr()}`);
    const r = await fetch(`${server.url}/`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }

  test('an upload whose file name is too long for the filesystem is a 400 with a message', async () => {
    const r = await upload(target(), `${LONG}.rpm`);
    assert.equal(r.status, 400);
    assert.match(await jsonMessage(r), /file name .* too long/);
    await stillServing();
    assert.deepEqual(readdirSync(join(data, 'tmp')), [], 'no temporary file is left behind');
  });

  test('an upload into a path with an over-long segment is a 400, and creates nothing', async () => {
    for (const path of [`p/main/${LONG}/centos/9/x86_64/`, `${LONG}/main/s/centos/9/x86_64/`, 'p/main/s/centos/9/x86_64/flavors/' + LONG + '/']) {
      const r = await upload(`${server.url}/binaries/${path}`, 'ok.rpm');
      assert.equal(r.status, 400, path);
      assert.match(await jsonMessage(r), /too long for the filesystem/);
    }
    await stillServing();
    assert.equal(existsSync(join(data, 'public', LONG)), false);
    const index = (await (await fetch(`${server.url}/binaries/`)).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(index), [], 'no project was recorded');
  });

  test('creating a project whose name is too long is a 400', async () => {
    const r = await fetch(`${server.url}/binaries/${LONG}/`, { method: 'POST', headers: AUTH });
    assert.equal(r.status, 400);
    assert.match(await jsonMessage(r), /project .* too long/);
    await stillServing();
    const index = (await (await fetch(`${server.url}/binaries/`)).json()) as Record<string, unknown>;
    assert.equal(LONG in index, false);
  });

  test('reads of paths that cannot exist are 404s: listings, downloads, repos', async () => {
    for (const path of [
      `binaries/${LONG}/`,
      `binaries/p/${LONG}/s/`,
      `binaries/p/main/s/centos/9/x86_64/${LONG}.rpm/`,
      `binaries/p/main/s/centos/9/x86_64/flavors/${LONG}/`,
      `binaries/p/main/s/centos/9/x86_64/flavors/${LONG}/${LONG}.rpm/`,
      `repos/${LONG}/`,
      `repos/p/main/s/centos/${LONG}/`,
      `repos/p/main/s/centos/9/flavors/${LONG}/`,
    ]) {
      for (const method of ['GET', 'HEAD']) {
        const r = await fetch(`${server.url}/${path}`, { method });
        assert.equal(r.status, 404, `${method} ${path}`);
        await r.arrayBuffer();
      }
    }
    const del = await fetch(`${server.url}/binaries/p/main/s/centos/9/x86_64/${LONG}.rpm/`, { method: 'DELETE', headers: AUTH });
    assert.equal(del.status, 404);
    await del.arrayBuffer();
    await stillServing();
  });

  test('a multipart body cut short before its end is a 400, and the server goes on', async () => {
    const body = '--XX\r\nContent-Disposition: form-data; name="file"; filename="cut.rpm"\r\nContent-Type: application/octet-stream\r\n\r\nno closing boundary';
    const r = await fetch(target(), { method: 'POST', headers: { ...AUTH, 'content-type': 'multipart/form-data; boundary=XX' }, body });
    assert.equal(r.status, 400);
    assert.match(await jsonMessage(r), /malformed/);
    await stillServing();
    assert.deepEqual(readdirSync(join(data, 'tmp')), [], 'no temporary file is left behind');
  });

  test('a repo field that would name an over-long directory is a 400; good uploads still work', async () => {
    const ok = await upload(target(), 'ok.rpm');
    assert.equal(ok.status, 201);
    await ok.arrayBuffer();
    const r = await fetch(`${server.url}/repos/p/main/s/centos/9/`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ ref: LONG }),
    });
    assert.equal(r.status, 400);
    assert.match(await jsonMessage(r), /ref .* too long/);
    await stillServing();
    const listed = await fetch(target());
    assert.equal(listed.status, 200);
    assert.deepEqual(Object.keys((await listed.json()) as object), ['ok.rpm']);
  });

  test('after all that it stops as asked, with status 0', async () => {
    assert.equal(await server.stop(), 0);
    assert.doesNotMatch(server.stderr(), /ENAMETOOLONG|Error:|internal error/);
  });
});

describe('serve: start-up errors name the problem', () => {
  let home: TempDir;
  let busy: Server;
  let busyPort: number;

  before(async () => {
    home = tempDir();
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => busy.close(resolve));
    home.cleanup();
  });

  const cases: { name: string; args: () => string[]; code: number; message: RegExp }[] = [
    { name: 'a port in use', args: () => ['--port', String(busyPort)], code: 2, message: /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/ },
    { name: 'a port out of range', args: () => ['--port', '70000'], code: 2, message: /--port takes a port from 0 to 65535, not 70000/ },
    { name: 'an unknown fault action', args: () => ['--port', '0', '--fault', 'GET:x:explode'], code: 2, message: /unknown fault action "explode"/ },
    {
      name: 'a fault that is not METHOD:PATH:ACTION',
      args: () => ['--port', '0', '--fault', '503'],
      code: 2,
      message: /--fault "503" is not METHOD:PATH-REGEX:ACTION/,
    },
    {
      name: 'a fault whose path is not a regular expression',
      args: () => ['--port', '0', '--fault', 'GET:(:503'],
      code: 2,
      message: /"\(" is not a regular expression/,
    },
    { name: 'a fault with a bad count', args: () => ['--port', '0', '--fault', 'GET:x:503:many'], code: 2, message: /COUNT must be a whole number/ },
    {
      name: 'a fault with a status no HTTP server can send',
      args: () => ['--port', '0', '--fault', 'GET:x:999'],
      code: 2,
      message: /999 is not an HTTP status/,
    },
    { name: 'a bad --delay', args: () => ['--port', '0', '--delay', 'soon'], code: 2, message: /--delay takes a duration/ },
    { name: 'a --delay no timer can wait', args: () => ['--port', '0', '--delay', '1000h'], code: 2, message: /--delay is at most 24 days/ },
    { name: 'a bad --outage', args: () => ['--port', '0', '--outage', '5s'], code: 2, message: /--outage takes AFTER:FOR/ },
    {
      name: 'a missing certificate',
      args: () => ['--port', '0', '--tls-cert', join(home.path, 'no.pem'), '--tls-key', join(home.path, 'no.key')],
      code: 1,
      message: /cannot read --tls-cert .*no\.pem: no such file or directory/,
    },
    {
      name: 'a certificate that is not PEM',
      args: () => {
        writeFileSync(join(home.path, 'junk.pem'), 'not a certificate\n');
        return ['--port', '0', '--tls-cert', join(home.path, 'junk.pem'), '--tls-key', join(home.path, 'junk.pem')];
      },
      code: 1,
      message: /are not a PEM certificate and its private key/,
    },
    {
      name: 'a data directory that is a file',
      args: () => {
        writeFileSync(join(home.path, 'a-file'), 'x');
        return ['--port', '0', '--data', join(home.path, 'a-file')];
      },
      code: 1,
      message: /cannot use the data directory .*a-file: .*not a directory/,
    },
  ];
  for (const c of cases)
    test(`${c.name}: exit ${c.code}, said plainly`, async () => {
      const r = await runCli(['serve', ...c.args()], { home: home.path, timeoutMs: 20_000 });
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /internal error|this is a bug/);
      assert.equal(r.stdout, '', 'no URL: it never listened');
    });
});
