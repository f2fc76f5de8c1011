// What the kill loops (tests/main/kill-loops.test.ts) and their child process (kill-child.ts) import and train.
import { encodeIdx } from '../../src/core/data/idx'

/** An IDX images + labels pair, different for each name (its bytes are a hash of the name and position). */
export function killDataset(name: string, count = 40, side = 16): { images: Uint8Array; labels: Uint8Array } {
  let h = 2166136261
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619)
  const data = Uint8Array.from({ length: count * side * side }, (_, i) => (Math.imul(h ^ i, 2654435761) >>> 24) & 0xff)
  return {
    images: encodeIdx({ dtype: 'uint8', dims: [count, side, side], data }),
    labels: encodeIdx({ dtype: 'uint8', dims: [count], data: Uint8Array.from({ length: count }, (_, k) => k % 10) })
  }
}

/** A text whose version shows in every line (a few hundred kB, so a half-written copy is easy to tell from a whole one). */
export function killText(version: string): string {
  return Array.from({ length: 4000 }, (_, k) => `${version}: line ${k} of the notes, with a few words to train on.`).join('\n')
}

/** The trainings killed: small enough for a few seconds a trial, with checkpoints every few epochs or steps. */
export const KILL_RBM = { dataset: { builtin: 'digits', count: 200 }, model: { kind: 'rbm', hidden: 32, epochs: 30, batchSize: 20, learningRate: 0.1 }, seed: 7 } as const
/** 40 steps: one step per engine run (as for any count up to 40), so a continuation from a checkpoint runs the same programs. */
export const KILL_RNN = { model: { kind: 'recurrent', cell: 'lstm', hiddenSize: 48, embeddingSize: 12, sequenceLength: 24, batch: 8, learningRate: 0.02, steps: 40 }, seed: 5 } as const
