import { type CommandSpec, lazyRun } from '../grammar.js';

export const serve: CommandSpec = {
  path: ['serve'],
  offline: true,
  summary: 'run a local chacra server (for trials, tests and benchmarks) until interrupted',
  description: [
    "Binaries are kept under --data in chacra's layout and survive a restart. Repos move from",
    'requested to ready on a timer (--repo-step). --delay and --workers make it as slow as a real',
    'chacra; --fault METHOD:PATH-REGEX:ACTION[:COUNT] injects failures (ACTION: a status such',
    'as 503, reset, delayMS, corrupt-upload, truncate-upload, corrupt-download, html, garbage).',
    '--pool N runs a shaman (on --port) with N such nodes that report their repos to it, as Ceph runs',
    'chacra; it prints the shaman URL, then one line per node.',
  ].join('\n'),
  args: [],
  options: [
    'port',
    'host',
    'data',
    'tls-cert',
    'tls-key',
    'delay',
    'workers',
    'repo-step',
    'fault',
    'outage',
    'pool',
    'health-delay',
    'shaman-user',
    'shaman-key',
  ],
  // It serves: the options of a client (url, config, TLS verification, timeouts, retries, JSON output) do nothing here.
  globalOptions: ['user', 'key', 'log', 'quiet', 'help', 'version'],
  optionHelp: {
    user: 'the user that clients must give (default admin)',
    key: 'the key that clients must give (default secret)',
    quiet: 'print only errors and the URLs',
  },
  examples: [
    'chacractl serve --port 8080 --data /tmp/chacra --user admin --key secret',
    'chacractl serve --port 8443 --tls-cert cert.pem --tls-key key.pem',
    "chacractl serve --fault 'POST:/binaries/:503:3'",
    'chacractl serve --outage 5s:10s          # refuse connections 5 s after start, for 10 s',
    'chacractl serve --pool 2 --health-delay 100ms',
  ],
  run: lazyRun(() => import('./serve-run.js'), 'runServe'),
};
