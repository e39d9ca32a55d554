import { existsSync } from 'node:fs';
import { arch } from 'node:os';

/**
 * The memory allocator the serving process runs with, as the image sets it (serving/Dockerfile's
 * ENV; a test keeps the two equal).
 *
 * Why: onnxruntime builds a tree ensemble's kernel from hundreds of thousands of small
 * allocations (node attributes, id maps) and frees most of them once the session is ready. glibc
 * malloc keeps that fragmented memory, so a serving process with the 200-tree flights model held
 * ~400 MiB; jemalloc, returning freed pages at once (decay 0) from one arena, holds ~245 MiB for
 * the same process under the same load (scripts/soak-serve.ts; figures in serving/README.md).
 * `LD_PRELOAD` names the library, not a path, so the dynamic loader finds it on any architecture.
 */
export const SERVING_ALLOCATOR_ENV = {
  LD_PRELOAD: 'libjemalloc.so.2',
  MALLOC_CONF: 'background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1',
} as const;

/** Debian's multiarch directory names (`/usr/lib/<triplet>/`) by Node's `os.arch()`. */
const TRIPLETS: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/**
 * The environment to start a serving process with, so it runs as the image does: the allocator
 * settings when this machine has jemalloc (Debian's libjemalloc2) and the caller's environment
 * does not preload something else; nothing otherwise (the loader would warn about a missing
 * library in every process it starts).
 */
export function servingAllocatorEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.LD_PRELOAD) return {};
  const triplet = TRIPLETS[arch()];
  const candidates = [
    ...(triplet ? [`/usr/lib/${triplet}/${SERVING_ALLOCATOR_ENV.LD_PRELOAD}`] : []),
    `/usr/lib/${SERVING_ALLOCATOR_ENV.LD_PRELOAD}`,
  ];
  return candidates.some((path) => existsSync(path)) ? { ...SERVING_ALLOCATOR_ENV } : {};
}
