import { type CommandSpec, lazyRun } from '../grammar.js';

export const configShow: CommandSpec = {
  path: ['config', 'show'],
  offline: true,
  summary: 'show the effective url, user and TLS settings, and where each came from (never the key)',
  args: [],
  options: [],
  examples: ['chacractl config show', 'CHACRA_URL=https://chacra.example chacractl config show --json'],
  run: lazyRun(() => import('./config-run.js'), 'runConfigShow'),
};

export const configInit: CommandSpec = {
  path: ['config', 'init'],
  offline: true,
  summary: 'write a config file (mode 0600) from --url, --user and --key, asking for what is missing on a terminal',
  description: [
    'On a terminal it asks for what the flags did not give, the key without echoing it, and for an https',
    'server the CA that signed its certificate (unless --ca or --insecure), and then offers to',
    'check the user and key against the server with a request that changes nothing: the DELETE of a',
    'binary that does not exist, in a project that does (refused credentials: 401; accepted: 404).',
    "A file that still holds the first run's template is replaced without --force. The url and the CA",
    'are checked before anything is written: a bad one leaves no file.',
  ].join('\n'),
  args: [],
  options: ['force', 'yes'],
  optionHelp: {
    force: "overwrite an existing config file (the first run's template is replaced without it)",
    yes: 'check the user and key against the server without asking (also off a terminal)',
  },
  examples: [
    'chacractl config init --url https://chacra.ceph.com --user jenkins --key "$KEY"',
    'chacractl config init   # asks, the key without echo',
    'chacractl config init --force --yes --url https://chacra.ceph.com --user jenkins --key "$KEY"',
  ],
  run: lazyRun(() => import('./config-run.js'), 'runConfigInit'),
};
