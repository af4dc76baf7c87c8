// @slidepipe/models: ONNX graphs built in TypeScript and run with onnxruntime-node. An MLP head
// trained on frozen embeddings (the training step is itself an ONNX graph), its losses, and a
// random-weight ResNet-18 backbone for benchmarks.
export { ModelError, type ModelErrorCode } from './errors';

export {
  DEFAULT_IR_VERSION,
  DEFAULT_OPSET,
  GraphBuilder,
  decodeModel,
  readOnnxMetadata,
  type AttrValue,
  type Attrs,
  type DataType,
  type Dim,
  type ModelOptions,
  type NodeOptions,
  type TensorInit,
  type TensorValues,
} from './onnx/graph-builder';
export { createSession, loadOrt, type SessionOptions } from './onnx/session';

export { DEFAULT_LOSS_PARAMS, type LossFunction, type LossName, type LossParams, type LossValue } from './losses/types';
export { LOSSES, getLoss } from './losses/registry';

export { initMlpParams, mlpLayout, type MlpParam, type MlpParamInfo, type MlpSpec } from './mlp/params';
export {
  DEFAULT_ADAM,
  MLP_IO,
  buildMlpGradientModel,
  buildMlpInferenceModel,
  buildMlpTrainStepModel,
  type AdamConstants,
  type MlpLossGraphOptions,
} from './mlp/graphs';

export {
  mlpTrainOptionsSchema,
  parseMlpTrainOptions,
  type MlpTrainOptions,
  type MlpTrainOptionsInput,
} from './trainer/options';
export {
  HEAD_METADATA_PREFIX,
  MlpTrainer,
  type EpochAction,
  type EpochReport,
  type FitHooks,
  type FitSummary,
  type Prediction,
  type RuntimeOptions,
  type TrainData,
} from './trainer/trainer';

export {
  RESNET18_EMBEDDING_DIM,
  RESNET18_IO,
  buildResNet18Model,
  writeResNet18Model,
  type ResNet18Options,
} from './backbone/resnet18';
