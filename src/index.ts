// The library: the typed client, the operations the CLI is made of, and the errors they throw.
export { ChacraClient, type ChacraClientOptions, type UploadResult, type Download } from './client/client.js';
export type { TlsOptions } from './client/transport-options.js';
export type { RetryMode } from './client/retry-rules.js';
export type { RetryPolicy } from './client/retry.js';
export {
  parseBinaryTarget,
  parseBinaryRef,
  parseRepoRef,
  formatTarget,
  formatRepo,
  type BinaryTarget,
  type BinaryRef,
  type RepoRef,
} from './client/paths.js';
export {
  uploadBinaries,
  uploadSucceeded,
  type UploadBatch,
  type UploadOptions,
  type UploadSummary,
  type FileReport,
  type FileOutcome,
  type UploadEvent,
} from './operations/upload.js';
export { pathExists, createProject, deleteBinary, updateRepo, recreateRepo, setRepoType, NoSuchRepoError } from './operations/simple.js';
export { planRepoDelete, deleteRepo, type RepoDeletePlan, type RepoDeleteResult, type RepoDeleteOptions } from './operations/repo-delete.js';
export { waitForRepo, RepoWaitTimeout, type WaitOptions } from './operations/repo-wait.js';
export { ShamanClient, NoHealthyNodeError, nodeOfRepo, nodeUrl, type ShamanClientOptions } from './client/shaman.js';
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
  buildKey,
  type NodeChoice,
  type NodeMemory,
  type WriteReason,
  type PoolRun,
} from './operations/nodes.js';
export { withRetry, type RetryOptions, type RetryReason } from './client/retry.js';
export { resolveConfig, type ResolvedConfig, type ConfigFlags } from './config/resolve.js';
export {
  ChacraError,
  UsageError,
  ConfigError,
  HttpError,
  NetworkError,
  VerificationError,
  FileError,
  InterruptedError,
  ExitCode,
} from './errors.js';
export { UnexpectedAnswerError, type UnexpectedAnswer, type NetworkFailure } from './errors.js';
export type { Logger } from './logger.js';
export * from './types.js';
