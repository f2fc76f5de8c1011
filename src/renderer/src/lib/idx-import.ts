// Importing an IDX dataset from the app: file bytes -> base64 for datasets.import (in chunks, so a
// 45 MB MNIST file is neither one O(n²) string build nor a frozen page), and a default dataset name.

/** Bytes per btoa call: a multiple of 3, so the pieces' base64 joins without padding in between. */
export const BASE64_CHUNK = 3 * 0x4000
/** Yield to the page (progress, input) after about this many bytes. */
const YIELD_EVERY = 4 * 1024 * 1024

/**
 * Standard base64 of `bytes`, built from 48 KiB pieces joined once at the end. Async: it yields to
 * the event loop every few MB and reports the fraction done.
 */
export async function bytesToBase64(bytes: Uint8Array, onProgress?: (fraction: number) => void): Promise<string> {
  const parts: string[] = []
  let sinceYield = 0
  for (let at = 0; at < bytes.length; at += BASE64_CHUNK) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + BASE64_CHUNK))
    // fromCharCode over a ≤ 48 KiB array stays under every engine's argument limit.
    parts.push(btoa(String.fromCharCode.apply(null, piece as unknown as number[])))
    sinceYield += piece.length
    if (sinceYield >= YIELD_EVERY && at + BASE64_CHUNK < bytes.length) {
      sinceYield = 0
      onProgress?.((at + piece.length) / bytes.length)
      await new Promise<void>((resolve) => setTimeout(resolve, 0))
    }
  }
  onProgress?.(1)
  return parts.join('')
}

/** A dataset name from a file name: "train-images-idx3-ubyte.gz" -> "train-images". Lower case, [a-z0-9._-], ≤ 64. */
export function datasetNameFromFile(fileName: string): string {
  const base = fileName
    .replace(/^.*[\\/]/, '')
    .replace(/\.gz$/i, '')
    .replace(/[-_.]idx\d-ubyte$/i, '')
    .replace(/\.(idx\d?|ubyte)$/i, '')
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64)
  return slug || 'dataset'
}
