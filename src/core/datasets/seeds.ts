// The worked examples of the lecture notes as built-in datasets.
// Reference: seeds/003 (auto-associative net storing (1,1,1,−1)) and seeds/000 (9-neuron pattern [0 1 0 1 0 1 0 1 0]).
// Legend: width×height image, patterns row-major bipolar Int8Array (N = width·height), labels one per pattern.

export interface SeedDataset {
  width: number
  height: number
  patterns: Int8Array[]
  labels: string[]
}

export function seeds003Auto(): SeedDataset {
  return { width: 4, height: 1, patterns: [Int8Array.of(1, 1, 1, -1)], labels: ['003 s = (1, 1, 1, −1)'] }
}

/** Bipolar for the app; `binary` keeps the {0,1} states the 000 example stores. */
export function seeds000Nine(): SeedDataset & { binary: Int8Array[] } {
  const binary = Int8Array.of(0, 1, 0, 1, 0, 1, 0, 1, 0)
  return {
    width: 3,
    height: 3,
    patterns: [binary.map((v) => 2 * v - 1)],
    binary: [binary],
    labels: ['000 [0 1 0 1 0 1 0 1 0]']
  }
}

/**
 * 003 Examples 3.23/3.24: the 5×3 letters A and C (row-major, '#' = 1, '.' = −1) paired with the codes
 * A → (−1, 1) and C → (1, 1). The seed's printed vectors are partly garbled; these glyphs reproduce every
 * printed number (A·W = (−14, 16), C·W = (14, 16), the printed W).
 */
export function seeds003Bam(): SeedDataset & { targets: Int8Array[] } {
  return {
    width: 3,
    height: 5,
    patterns: [Int8Array.of(-1, 1, -1, 1, -1, 1, 1, 1, 1, 1, -1, 1, 1, -1, 1), Int8Array.of(-1, 1, 1, 1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, 1)],
    targets: [Int8Array.of(-1, 1), Int8Array.of(1, 1)],
    labels: ['A', 'C']
  }
}
