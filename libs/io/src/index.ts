export * from './paths';
export * from './atomic';
export { ByteQueue, parseMessageHeader, readArrowStreams, type ArrowStream } from './arrow-stream';
export { readParquetStream, ParquetFileWriter, arrowFieldsFromParquet } from './parquet';
export * from './input';
export * from './output';
export * from './slides';
export * from './splits';
