/**
 * The remote, seen as a flat key space of immutable-ish objects. DVC's `files/md5/..` data objects
 * and mlship's `runs/`, `models/` and `capture/` live side by side in one store. The core does all
 * remote I/O through this interface; `openStore` picks the implementation from the URL.
 */
import type { Readable } from 'node:stream';

export interface StoreObjectInfo {
  key: string;
  size: number;
}

export interface ObjectStore {
  /** Human-readable location, for messages: `s3://bucket/prefix` or an absolute path. */
  readonly url: string;
  get(key: string): Promise<Uint8Array>;
  /** Writes a whole object; readers never see it half-written. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Copies a local file into the store without holding it in memory. */
  putFile(key: string, path: string): Promise<void>;
  /** Writes an object to a local file (via a temp file and rename) without holding it in memory. */
  getFile(key: string, path: string): Promise<void>;
  /**
   * Opens an object for streaming, so a caller can hash and write it in one pass (data pulls verify
   * every object before it enters the cache). `size` is the object's length when the store knows
   * it up front. Rejects with a UserError when the object is missing.
   */
  getStream(key: string): Promise<{ body: Readable; size?: number }>;
  exists(key: string): Promise<boolean>;
  /** Lists objects whose keys start with `prefix`. */
  list(prefix: string): Promise<StoreObjectInfo[]>;
}
