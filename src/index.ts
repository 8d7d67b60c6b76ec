// The library: the typed clients (one method per endpoint), the operations the
// CLI is made of, and the errors they throw; with every type their signatures
// use, and nothing else (the exit statuses, retries, path encoding and the
// transport are the CLI's and the clients' own). Both module systems load it:
// `import` gets dist/src (tsc), `require` a CommonJS bundle of this file
// (scripts/bundle.ts). `npm run docs` writes its reference (TypeDoc).

// The client: one typed method per endpoint of chacra.
export {
  ChacraClient,
  type ChacraClientOptions,
  type UploadBinaryOptions,
  type UploadResult,
  type Download,
  type ListedBinary,
  type ListingOptions,
} from './client/client.js';
export { contentTypeOf, type MultipartFile } from './client/multipart.js';
export type { ListedFile } from './client/file-chunks.js';
export type { TransportOptions, TlsOptions } from './client/transport-options.js';
export type { RetryMode } from './client/retry-rules.js';
export type { RetryPolicy } from './client/retry.js';
export {
  parseBinaryTarget,
  parseBinaryRef,
  parseRepoRef,
  formatTarget,
  formatBinary,
  formatRepo,
  type BinaryTarget,
  type BinaryRef,
  type RepoRef,
} from './client/paths.js';

// Operations: what a command does, over the client.
export {
  uploadBinaries,
  uploadSucceeded,
  type UploadBatch,
  type UploadOptions,
  type UploadSummary,
  type FileReport,
  type FileOutcome,
  type PlannedAction,
  type UploadEvent,
} from './operations/upload.js';
export type { UnusableEntry } from './operations/upload-types.js';
export {
  downloadBinaries,
  downloadSucceeded,
  type DownloadRequest,
  type DownloadOptions,
  type DownloadSummary,
  type DownloadReport,
  type DownloadOutcome,
  type DownloadEvent,
} from './operations/download.js';
export { pathExists, ensureProject, updateExistingRepo, rebuildRepo, setRepoType, NoSuchRepoError, type RecreateResult } from './operations/simple.js';
export { planRepoDelete, applyRepoDelete, type RepoDeletePlan, type RepoDeleteResult, type RepoDeleteOptions } from './operations/repo-delete.js';
export { waitForRepo, RepoWaitTimeout, type WaitOptions } from './operations/repo-wait.js';

// The pool of chacra nodes behind shaman.
export { ShamanClient, NoHealthyNodeError, nodeOfRepo, type ShamanClientOptions } from './client/shaman.js';
export { BUILD_STATES, isShamanBuild, type BuildState, type BuildReport, type ShamanBuild } from './client/shaman-builds.js';
export {
  reportBuild,
  buildReportOf,
  parseBuildTarget,
  jenkinsExtra,
  type BuildTarget,
  type BuildReportInput,
} from './operations/build-report.js';
export {
  waitForBuilds,
  findBuilds,
  repoLocation,
  BuildWaitTimeout,
  type BuildWaitOptions,
  type BuildWaitResult,
  type PlatformRepos,
  type MissingPlatform,
} from './operations/build-wait.js';
export {
  chooseWriteNode,
  onWriteNode,
  findReadNode,
  failedBeforeLanding,
  reposOfBuild,
  type ChooseOptions,
  type NodeChoice,
  type NodeMemory,
  type WriteReason,
  type PoolRun,
  type ReadVia,
  PoolNoVerdictError,
  type NodeFailure,
} from './operations/nodes.js';
export type { PoolReadOptions } from './operations/pool-reads.js';

// The settings the CLI uses: flags over the environment over ~/.chacractl.
export {
  resolveConfig,
  type ResolveOptions,
  type ResolvedConfig,
  type ConfigFlags,
  type TlsSettings,
  type ShamanSettings,
  type Source as ConfigSource,
} from './config/resolve.js';

// Errors: one class per kind of failure.
export {
  ChacraError,
  UsageError,
  ConfigError,
  HttpError,
  NetworkError,
  VerificationError,
  FileError,
  InterruptedError,
  type HttpErrorDetails,
  UnexpectedAnswerError,
  type UnexpectedAnswer,
  type NetworkFailure,
  type ProxyInfo,
} from './errors.js';
export type { Logger } from './logger.js';
export * from './types.js';
