// undici's index loads fetch, WebSocket, cookies and more: ~45 ms of every
// start-up for nothing chacractl uses. The transport imports the two modules
// it needs directly (undici has no "exports" map; the lockfile pins the version
// these paths come from, and every integration test goes through them).
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}
