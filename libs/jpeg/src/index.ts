export { encodeJpeg, encodeJpegAsync, decodeJpeg, decodeJpegAsync, setJpegMaxInFlight } from './jpeg';
export type { JpegPixelFormat, JpegSubsampling, EncodeJpegOptions, DecodeJpegOptions, DecodedJpeg } from './jpeg';
export { JpegError } from './errors';
export type { JpegErrorCode } from './errors';
