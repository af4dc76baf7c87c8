// glibc serves each allocation above its mmap threshold (128 KB, rising only as such blocks are
// freed) with a fresh mmap, so every record batch's buffers are page-faulted in and unmapped again:
// half of the wall time of reading a 700 MB Parquet file. Served from the heap and kept there
// (thresholds as MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ would set them), the same read
// takes 2.4-2.8 s instead of 3.6-4.9 s with no more memory (1.9-2.0 s when set through the
// environment, before Node starts). Elsewhere than glibc this does nothing.
import { createRequire } from 'node:module';

const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
let done = false;

/** Once per process: large buffers from the heap, not from mmap (no-op where glibc is absent). */
export function tuneAllocator(): void {
  if (done) return;
  done = true;
  if (process.platform !== 'linux' || process.env.MALLOC_MMAP_THRESHOLD_ !== undefined) return;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const mallopt = koffi.load('libc.so.6').func('int mallopt(int, int)') as (p: number, v: number) => number;
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  } catch {
    // musl or no koffi: the default allocator, only slower.
  }
}
