// The Python chacractl's way of uploading, for comparison: one file at a
// time; HEAD, read the file to hash it, POST it (reading it again), then GET
// the whole target listing to verify; a new connection for every request.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';

const [base, target, ...files] = process.argv.slice(2);
if (!base || !target) throw new Error('usage: naive-client URL TARGET FILE...');
const auth = 'Basic ' + Buffer.from(`${process.env.CHACRA_USER}:${process.env.CHACRA_KEY}`).toString('base64');
let requests = 0;

async function send(method: 'GET' | 'HEAD' | 'POST', url: string, init: { headers?: Record<string, string>; body?: Readable } = {}) {
  // No session: every request opens and closes its own connection, as requests.post() does.
  const dispatcher = new Agent({ pipelining: 0 });
  requests++;
  try {
    const res = await request(url, { method, dispatcher, headers: { connection: 'close', ...init.headers }, body: init.body ?? null });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  } finally {
    await dispatcher.close();
  }
}

for (const file of files) {
  const name = basename(file);
  const binaryUrl = `${base}/binaries/${target}/${encodeURIComponent(name)}/`;
  const exists = await send('HEAD', binaryUrl);
  if (exists.status === 200) continue;
  // Streamed, as requests-toolbelt does: the file is read once to hash it, once to send it.
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const checksum = hash.digest('hex');
  const boundary = 'naive-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Readable.from(
    (async function* () {
      yield head;
      yield* createReadStream(file);
      yield tail;
    })(),
  );
  const length = head.length + statSync(file).size + tail.length;
  const post = await send('POST', `${base}/binaries/${target}/`, {
    headers: { authorization: auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length) },
    body,
  });
  if (post.status !== 201) throw new Error(`upload of ${name} answered ${post.status}`);
  const listing = JSON.parse((await send('GET', `${base}/binaries/${target}/`)).text) as Record<string, { checksum: string }>;
  if (listing[name]?.checksum !== checksum) throw new Error(`${name}: checksum mismatch`);
}
process.stdout.write(JSON.stringify({ requests }) + '\n');
