export { TrackingError, type TrackingErrorCode } from './errors';
export { maskedCrc32c, frameRecord } from './tfrecord';
export {
  TensorBoardWriter,
  eventFileName,
  EVENT_FILE_VERSION_STRING,
  type TensorBoardWriterOptions,
} from './tensorboard';
export {
  stringifyParams,
  MAX_KEY_LENGTH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  type Params,
  type ParamValue,
} from './keys';
export {
  MlflowFileStore,
  RUN_STATUS,
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  type RunStatus,
  type MetricPoint,
  type KeyValue,
  type FileRunInfo,
} from './mlflow-file-store';
export { MlflowRestClient, type MlflowRestClientOptions, type RestExperiment, type RestRunInfo } from './mlflow-rest';
export {
  createTracker,
  resolveTrackingTarget,
  FileStoreTracker,
  RestTracker,
  type Tracker,
  type TrackedRun,
  type TrackerOptions,
  type TrackingTarget,
  type EndStatus,
} from './tracker';
export { CombinedRun, paramsToMarkdown, type CombinedRunOptions } from './combined';
