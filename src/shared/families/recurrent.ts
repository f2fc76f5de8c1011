// The recurrent family (issue 9): RNN (tanh, relu), LSTM (peepholes, coupled input–forget gate) and GRU (PyTorch's and
// the original form) as a character-level language model on a UTF-8 text: BPTT on the engine (core fallback), live loss,
// perplexity and samples, generation from a prompt with temperature and top-k beside the argmax line.
// Reference: seeds 000–002; docs/recurrent.md. Legend: V vocabulary (distinct characters), E embedding size, H hidden
// size, L layers, T sequence length (BPTT window), B batch.
import { z } from 'zod'
import { defineFamily, seedSchema, trainJob } from '../family'

/** The most characters a text may hold (a user file is refused above this, naming the field). */
export const MAX_TEXT_CHARS = 2_000_000
/** The most distinct characters a vocabulary may have. */
export const MAX_VOCAB = 512
/** The most steps a model may take in all, its continuations included. */
export const MAX_TOTAL_STEPS = 1_000_000
/** The longest generated sample. */
export const MAX_GENERATE = 2000

/** A user text's id: 'user-text:<name>' (imported by texts.import, stored under the data directory). */
export const userTextIdSchema = z
  .string()
  .regex(/^user-text:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "must be 'user-text:<name>' (letters, digits, _ . -)")
export const textSourceSchema = z.union([
  z.object({ corpus: z.enum(['sonnets']) }).strict(),
  z.object({ file: userTextIdSchema }).strict()
])
export type TextSource = z.infer<typeof textSourceSchema>

export const recurrentModelSpecSchema = z
  .object({
    kind: z.literal('recurrent'),
    text: textSourceSchema.default({ corpus: 'sonnets' }),
    cell: z.enum(['lstm', 'gru', 'rnn']).default('lstm'),
    /** LSTM: gates see the cell state (Gers & Schmidhuber 2000). */
    peephole: z.boolean().default(false),
    /** LSTM: f = 1 − i. */
    coupled: z.boolean().default(false),
    /** GRU: 'pytorch' (ONNX linear_before_reset = 1) or 'original' (Cho et al. 2014). */
    gruForm: z.enum(['pytorch', 'original']).default('pytorch'),
    /** RNN: the nonlinearity. */
    nonlinearity: z.enum(['tanh', 'relu']).default('tanh'),
    hiddenSize: z.int().positive().max(1024).default(64),
    layers: z.int().positive().max(4).default(1),
    /** Dropout between layers (training only; no effect with one layer). */
    dropout: z.number().min(0).max(0.9).default(0),
    embeddingSize: z.int().positive().max(512).default(16),
    /** T: the BPTT window. */
    sequenceLength: z.int().positive().max(512).default(32),
    batch: z.int().positive().max(256).default(16),
    steps: z.int().positive().max(100_000).default(300),
    learningRate: z.number().positive().max(1).default(0.005),
    /** Gradient clipping by global norm; 0 turns it off. */
    clipNorm: z.number().min(0).max(1e3).default(5),
    /**
     * Continue a trained model of the session (its id) for `steps` more steps: its weights, Adam state and step count,
     * and the same stream of training windows (the model's seed), so two runs of S steps equal one run of 2S. The
     * architecture, text, batch, sequence length and dropout must be the model's; the learning rate and clipping may change.
     */
    continueFrom: z.string().min(1).max(100).optional()
  })
  .strict()
export type RecurrentModelSpec = z.infer<typeof recurrentModelSpecSchema>

export const recurrentPointSchema = z.object({ step: z.int(), loss: z.number(), perplexity: z.number() })
export type RecurrentPoint = z.infer<typeof recurrentPointSchema>

export const recurrentInfoSchema = z.object({
  kind: z.literal('recurrent'),
  id: z.string(),
  name: z.string(),
  spec: recurrentModelSpecSchema,
  seed: z.int().nonnegative(),
  /** The text's name and length in characters. */
  textName: z.string(),
  textChars: z.int(),
  /** The vocabulary: token id → character (sorted by code point). */
  vocab: z.array(z.string()),
  /** Steps taken (fewer than spec.steps when cancelled or stopped). */
  stepsDone: z.int(),
  /** Training loss (mean cross-entropy per character, nats) per progress report. */
  history: z.array(recurrentPointSchema),
  /** The core's loss of the final weights on the evaluation windows (recurrentEvalWindows). */
  evalLoss: z.number(),
  /** 'engine (cpu)' or 'core' (with the reason the engine was not used). */
  provider: z.string(),
  fallbackReason: z.string().nullable(),
  /** True when cancelled or stopped by a non-finite value: the weights are the last good ones. */
  partial: z.boolean(),
  /** Why training stopped early on its own (a NaN/Inf, naming the step and the tensor). */
  stopReason: z.string().nullable(),
  /** The last sample drawn while training. */
  sample: z.string(),
  /** Continued from this model (spec.continueFrom) after its `steps` steps; history and stepsDone count from the start. */
  continuedFrom: z.object({ id: z.string(), name: z.string(), steps: z.int(), adamRestarted: z.boolean() }).optional(),
  createdAt: z.string()
})
export type RecurrentInfo = z.infer<typeof recurrentInfoSchema>

export const recurrentGenerateRunSchema = z
  .object({
    kind: z.literal('recurrent.generate'),
    /** Fed first (teacher forcing); every character must be in the vocabulary. */
    prompt: z.string().min(1).max(500),
    length: z.int().positive().max(MAX_GENERATE).default(200),
    /** τ; 0 gives the argmax line. */
    temperature: z.number().min(0).max(10).default(0.8),
    /** Keep the k most likely characters; 0 keeps all. */
    topK: z.int().nonnegative().max(MAX_VOCAB).default(0),
    seed: seedSchema.default(1)
  })
  .strict()

export const recurrentGenerateResultSchema = z.object({
  modelId: z.string(),
  prompt: z.string(),
  /** The generated characters (prompt excluded). */
  sample: z.string(),
  /** The argmax choice at each generated position given the same history. */
  argmax: z.string(),
  temperature: z.number(),
  topK: z.int(),
  seed: z.int(),
  /** Where it was computed: the engine's in-graph sampler (one run per sample), or the core (with the engine's failure). */
  computedBy: z.string()
})
export type RecurrentGenerateResult = z.infer<typeof recurrentGenerateResultSchema>

export const recurrentFamily = defineFamily({
  kind: 'recurrent',
  label: 'Recurrent network',
  spec: recurrentModelSpecSchema,
  model: recurrentInfoSchema,
  // Present for every char-LM; the recurrent weights (weight_ih_l0, …) depend on the cell and layers.
  tensors: ['embedding.weight', 'head.weight', 'head.bias'],
  train: trainJob('recurrent.train', recurrentModelSpecSchema, recurrentInfoSchema, { dataset: false }),
  runs: [{ request: recurrentGenerateRunSchema, result: z.object({ kind: z.literal('recurrent.generate'), result: recurrentGenerateResultSchema }) }],
  views: [],
  kept: ['recurrent.generate'],
  exports: ['onnx', 'safetensors']
})
