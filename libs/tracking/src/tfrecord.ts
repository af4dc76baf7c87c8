import { crc32c } from '@node-rs/crc32';

const MASK_DELTA = 0xa282ead8;

/** TFRecord's masked CRC32C: rotate right by 15 bits, then add a constant (mod 2^32). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/**
 * One TFRecord frame: uint64 LE length, masked CRC of those 8 bytes, the data, masked CRC of
 * the data. TensorBoard drops a frame whose CRC does not match, so both must be right.
 */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}
