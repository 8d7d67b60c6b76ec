// The node:http engine, that of every direct connection: the same answers,
// the same typed errors, and one kept-alive connection.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { ChacraClient, NetworkError } from '../../src/index.js';
import { serverFixture } from '../helpers/env.js';

const fx = serverFixture();

const light = (extra = {}) => new ChacraClient({ url: fx.server.url, user: 'admin', key: 'secret', retry: { baseDelayMs: 5 }, ...extra });

test('requests of every kind over one kept-alive connection', async () => {
  const client = light();
  try {
    await client.createProject('lightproj');
    assert.equal(await client.exists('binaries', ['lightproj']), true);
    assert.equal(await client.exists('binaries', ['nothing-here']), false);
    assert.equal(await client.listing('binaries', ['nothing-here']), undefined);
    const projects = await client.listing<Record<string, unknown>>('binaries', []);
    assert.ok(projects && Object.hasOwn(projects, 'lightproj'));
    // No repo worker in the fixture: chacra's health check fails, and says why.
    assert.equal((await client.health()).status, 500);
    assert.equal(fx.server.stats.connections, 1);
    assert.equal(client.requestCount, 6);
  } finally {
    await client.close();
  }
});

test('a refused connection is retried, then a typed NetworkError', async () => {
  const client = light({ url: 'http://127.0.0.1:9', retry: { tries: 2, baseDelayMs: 1 } });
  try {
    await assert.rejects(client.exists('binaries', ['x']), (err: unknown) => {
      assert.ok(err instanceof NetworkError);
      assert.equal(err.kind, 'refused');
      return true;
    });
    assert.equal(client.requestCount, 2);
  } finally {
    await client.close();
  }
});

test('a server that stops in the middle of its answer is given up on after the silence timeout', async () => {
  const sockets = new Set<Socket>();
  const stalling = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":'));
  });
  await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
  const client = light({ url: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`, timeoutMs: 200, retry: { tries: 1 } });
  try {
    await assert.rejects(client.root(), (err: unknown) => {
      assert.ok(err instanceof NetworkError, String(err));
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, /the server stopped answering: nothing came for 200 ms \(timeout\)/);
      return true;
    });
  } finally {
    await client.close();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => stalling.close(resolve));
  }
});
