// The proxies an environment names, and the one a request goes through: read
// as undici's EnvHttpProxyAgent reads them, so that a failure can be put on
// the proxy that had it, with the variable that named it.
import type { ProxyInfo } from '../errors.js';
import { DEFAULT_PORTS } from './http-errors.js';

interface ProxySetting {
  url: string;
  variable: string;
}

export interface ProxyEnvironment {
  http: ProxySetting | undefined;
  https: ProxySetting | undefined;
  noProxy: string;
}

export function proxyEnvironment(env: NodeJS.ProcessEnv): ProxyEnvironment {
  // The lower-case name wins when both are set, even when empty, as in undici.
  const pick = (lower: string, upper: string): ProxySetting | undefined => {
    const variable = env[lower] !== undefined ? lower : upper;
    const url = env[variable];
    return url ? { url, variable } : undefined;
  };
  return { http: pick('http_proxy', 'HTTP_PROXY'), https: pick('https_proxy', 'HTTPS_PROXY'), noProxy: env.no_proxy ?? env.NO_PROXY ?? '' };
}

/** The proxy a request to `url` goes through, if any: the choice EnvHttpProxyAgent makes. */
export function proxyFor(url: string, proxies: ProxyEnvironment): ProxyInfo | undefined {
  const target = new URL(url);
  const setting = target.protocol === 'https:' ? (proxies.https ?? proxies.http) : proxies.http;
  if (!setting) return undefined;
  const hostname = target.hostname.toLowerCase();
  const port = Number(target.port) || DEFAULT_PORTS[target.protocol] || 0;
  if (proxies.noProxy.trim() === '*') return undefined;
  for (const entry of proxies.noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const m = /^(.+):(\d+)$/.exec(entry);
    const host = (m ? m[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (m && Number(m[2]) !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return undefined;
  }
  let host = setting.url;
  try {
    const p = new URL(setting.url);
    host = `${p.hostname}:${p.port || DEFAULT_PORTS[p.protocol] || ''}`;
  } catch {
    // undici refuses it too; name it as it was given, which holds no credentials we could strip
    host = setting.url.replace(/^[^@/]*@/, '');
  }
  return { host, variable: setting.variable };
}
