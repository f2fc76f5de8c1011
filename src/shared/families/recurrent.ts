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

/** The most rows a task's CSV may hold, the most classes it may name, the most points a series may have. */
export const MAX_TASK_ROWS = 50_000
export const MAX_CLASSES = 64
export const MAX_SERIES_POINTS = 200_000
/** The most held-out rows a synthetic task is scored on, and the most forecast points a result keeps for its chart. */
export const MAX_EVAL_ROWS = 20_000
export const MAX_FORECAST_SHOWN = 4000

const csvColumnSchema = z.string().min(1).max(100)
/** A CSV: an imported text ('user-text:<name>', the app) or a file beside a spec (`path`, engram run); exactly one. */
const csvFileShape = {
  file: userTextIdSchema.optional(),
  path: z.string().min(1).max(4096).optional().describe("a UTF-8 CSV file, relative to the spec file's directory (engram run only)")
}
const oneFile = (v: { file?: string; path?: string }) => (v.file === undefined) !== (v.path === undefined)
const oneFileIssue = { message: "give exactly one of 'file' (an imported text) and 'path' (a file beside the spec)", path: ['file'] }

/**
 * Many-to-one classification sources: synthetic tasks that need memory (drawn fresh each step from the seed, T = the
 * spec's sequenceLength) or a CSV of text,label (characters through the embedding, left-padded or cut to the last T).
 * 'adding' is the adding problem (a regression head; a row counts as right within ±0.04).
 */
export const classifySourceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('parity') }).strict(),
  z.object({ type: z.literal('reber'), embedded: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('adding') }).strict(),
  z
    .object({ type: z.literal('csv'), ...csvFileShape, textColumn: csvColumnSchema.default('text'), labelColumn: csvColumnSchema.default('label') })
    .strict()
    .refine(oneFile, oneFileIssue)
])
export type ClassifySource = z.infer<typeof classifySourceSchema>

/** Forecasting series: a seeded noisy sine, the Mackey-Glass series, or a numeric column of a CSV. */
export const seriesSourceSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('sine'),
      points: z.int().min(50).max(MAX_SERIES_POINTS).default(1200),
      period: z.number().min(2).max(10_000).default(40),
      noise: z.number().min(0).max(2).default(0.1)
    })
    .strict(),
  z.object({ type: z.literal('mackey-glass'), points: z.int().min(50).max(MAX_SERIES_POINTS).default(1500), tau: z.number().min(0).max(100).default(17) }).strict(),
  z
    .object({ type: z.literal('csv'), ...csvFileShape, column: csvColumnSchema })
    .strict()
    .refine(oneFile, oneFileIssue)
])
export type SeriesSource = z.infer<typeof seriesSourceSchema>

const validationFractionSchema = z.number().min(0.05).max(0.5).default(0.2)

/** A task other than the char-LM (absent: the char-LM on `text`); its sequence length is the spec's sequenceLength. */
export const recurrentTaskSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('classify'),
      source: classifySourceSchema,
      /** Synthetic sources: the held-out rows scored after training (a stream apart from the training rows). */
      evalRows: z.int().min(10).max(MAX_EVAL_ROWS).default(1000),
      /** CSV: the share of rows held out (a seeded shuffle). */
      validationFraction: validationFractionSchema
    })
    .strict(),
  z
    .object({
      kind: z.literal('tag'),
      /**
       * Many-to-many: one class per step. 'parity': the parity of the bits so far (its last step is the many-to-one
       * parity); 'csv': rows of space-separated tokens and as many space-separated tags (tokens through the embedding,
       * left-padded or cut to the last T; the pad steps are ignored by the loss and left out of the scores).
       */
      source: z.discriminatedUnion('type', [
        z.object({ type: z.literal('parity') }).strict(),
        z
          .object({ type: z.literal('csv'), ...csvFileShape, tokensColumn: csvColumnSchema.default('tokens'), tagsColumn: csvColumnSchema.default('tags') })
          .strict()
          .refine(oneFile, oneFileIssue)
      ]),
      evalRows: z.int().min(10).max(MAX_EVAL_ROWS).default(1000),
      /** CSV: the share of rows held out (a seeded shuffle). */
      validationFraction: validationFractionSchema
    })
    .strict(),
  z
    .object({
      kind: z.literal('forecast'),
      series: seriesSourceSchema,
      /** h: predict x[s + W − 1 + h] from the window x[s … s + W) (W = sequenceLength). */
      horizon: z.int().min(1).max(256).default(1),
      /** The last share of the series (by time) is the validation split; normalisation is fitted on the rest. */
      validationFraction: validationFractionSchema,
      normalise: z.enum(['zscore', 'minmax', 'none']).default('zscore')
    })
    .strict()
])
export type RecurrentTask = z.infer<typeof recurrentTaskSchema>

export const recurrentModelSpecSchema = z
  .object({
    kind: z.literal('recurrent'),
    /** The char-LM's text (unused by a task). */
    text: textSourceSchema.default({ corpus: 'sonnets' }),
    /** Absent: the character-level language model. */
    task: recurrentTaskSchema.optional(),
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
    /**
     * Sequence tasks only: each layer also reads the sequence backwards and passes [forward | reverse] on (PyTorch's
     * bidirectional=True). A language model reads left to right, so the char-LM refuses it. Absent: false.
     */
    bidirectional: z.boolean().optional(),
    /**
     * Stateful truncated BPTT (the char-LM and forecasting: one long sequence). The batch is B streams through the
     * text (series); each step trains on the next window of T of every stream, starting from the state the previous
     * window ended in (the gradient stops at the window boundary), and each pass over the data starts from zero.
     * Absent: false (independent windows, each from a zero state). Not with bidirectional layers.
     */
    stateful: z.boolean().optional(),
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

/** The settings that belong to one cell, and their defaults: the other cells have none of them. */
const CELL_VARIANTS = [
  { key: 'peephole', cell: 'lstm', off: false, what: 'peepholes are an LSTM variant' },
  { key: 'coupled', cell: 'lstm', off: false, what: 'the coupled input–forget gate is an LSTM variant' },
  { key: 'gruForm', cell: 'gru', off: 'pytorch', what: "the GRU's form is a GRU setting" },
  { key: 'nonlinearity', cell: 'rnn', off: 'tanh', what: "the nonlinearity is the vanilla RNN's" }
] as const
type CellVariants = Pick<RecurrentModelSpec, 'cell' | (typeof CELL_VARIANTS)[number]['key']>

/**
 * A setting of another cell, set away from its default (`{ cell: 'gru', peephole: true }`): it would change nothing, so a
 * spec or request that has one is refused naming it. Null when there is none.
 */
export function foreignCellVariant(spec: CellVariants): { key: string; message: string } | null {
  for (const v of CELL_VARIANTS) {
    if (v.cell !== spec.cell && spec[v.key] !== v.off) return { key: v.key, message: `${v.what}; cell '${spec.cell}' has no ${v.key} (leave it out or set ${JSON.stringify(v.off)})` }
  }
  return null
}

/** The spec with the other cells' settings at their defaults (the form keeps them while another cell is picked). */
export function withCellVariants<S extends CellVariants>(spec: S): S {
  const out = { ...spec }
  for (const v of CELL_VARIANTS) if (v.cell !== spec.cell) (out as Record<string, unknown>)[v.key] = v.off
  return out
}

export const recurrentPointSchema = z.object({
  step: z.int(),
  loss: z.number(),
  /** exp(loss): the char-LM's and a classifier's (cross-entropy heads); absent for MSE heads. */
  perplexity: z.number().optional(),
  /** Classify: the share of this report's training rows classified right; forecast: the RMSE in the series' units. */
  accuracy: z.number().optional(),
  rmse: z.number().optional()
})
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
  /** A task's held-out scores (spec.task), against its baseline. */
  taskResult: z
    .discriminatedUnion('kind', [
      z.object({
        kind: z.literal('classify'),
        /** Class names (id = index). */
        classes: z.array(z.string()),
        trainRows: z.int(),
        evalRows: z.int(),
        accuracy: z.number(),
        loss: z.number(),
        /** Always answering the training split's most frequent class. */
        baseline: z.object({ label: z.string(), accuracy: z.number() }),
        /** Row = true class, column = predicted. */
        confusion: z.array(z.array(z.int())),
        /** CSV rows longer than T (their last T characters were read). */
        truncated: z.int()
      }),
      z.object({
        kind: z.literal('tag'),
        classes: z.array(z.string()),
        evalRows: z.int(),
        /** Steps tagged right, over every step of the held-out rows (a CSV's: its tokens', not the pad steps). */
        accuracy: z.number(),
        /** Rows with every step right. */
        sequenceAccuracy: z.number(),
        /** The last step alone (for parity: the many-to-one answer). */
        lastStepAccuracy: z.number(),
        loss: z.number(),
        baseline: z.object({ label: z.string(), accuracy: z.number() }),
        confusion: z.array(z.array(z.int()))
      }),
      z.object({
        kind: z.literal('regress'),
        evalRows: z.int(),
        /** Rows within ±tolerance of their target. */
        accuracy: z.number(),
        tolerance: z.number(),
        mse: z.number(),
        /** Always answering 1 (the mean target). */
        baseline: z.object({ accuracy: z.number(), mse: z.number() })
      }),
      z.object({
        kind: z.literal('forecast'),
        window: z.int(),
        horizon: z.int(),
        normalisation: z.object({ method: z.enum(['zscore', 'minmax', 'none']), offset: z.number(), scale: z.number() }),
        points: z.int(),
        trainEnd: z.int(),
        trainWindows: z.int(),
        validationWindows: z.int(),
        /** On the validation windows, in the series' units. */
        rmse: z.number(),
        mae: z.number(),
        /** The persistence forecast: the window's last value. */
        persistence: z.object({ rmse: z.number(), mae: z.number() }),
        /** The first (at most MAX_FORECAST_SHOWN) validation targets: their time index, the truth, the forecast. */
        times: z.array(z.int()),
        truth: z.array(z.number()),
        forecast: z.array(z.number()),
        /** The last window of the series (what a forecast run starts from by default). */
        lastWindow: z.array(z.number())
      })
    ])
    .optional(),
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

/** A run on a trained task model: a sequence to classify (its characters), or numbers (a forecast window of W values; the adding problem's T (value, marker) pairs, flattened). */
export const recurrentPredictRunSchema = z
  .object({
    kind: z.literal('recurrent.predict'),
    input: z.union([z.string().min(1).max(4096), z.array(z.number().finite()).min(1).max(8192)])
  })
  .strict()

export const recurrentPredictResultSchema = z.object({
  modelId: z.string(),
  task: z.enum(['classify', 'tag', 'regress', 'forecast']),
  /** Tag: the class at each step. */
  tags: z.array(z.string()).optional(),
  /** Classify: each class's softmax probability. */
  probabilities: z.array(z.object({ label: z.string(), p: z.number() })).optional(),
  /** Classify: the most likely class. */
  label: z.string().optional(),
  /** Regress, forecast: the value predicted (forecast: in the series' units, h steps after the window). */
  value: z.number().optional(),
  computedBy: z.string()
})
export type RecurrentPredictResult = z.infer<typeof recurrentPredictResultSchema>

export const recurrentFamily = defineFamily({
  kind: 'recurrent',
  label: 'Recurrent network',
  spec: recurrentModelSpecSchema,
  model: recurrentInfoSchema,
  // Present for every model (token input adds embedding.weight); the recurrent weights (weight_ih_l0, …) depend on the cell and layers.
  tensors: ['head.weight', 'head.bias'],
  train: trainJob('recurrent.train', recurrentModelSpecSchema, recurrentInfoSchema, { dataset: false }),
  runs: [
    { request: recurrentGenerateRunSchema, result: z.object({ kind: z.literal('recurrent.generate'), result: recurrentGenerateResultSchema }) },
    { request: recurrentPredictRunSchema, result: z.object({ kind: z.literal('recurrent.predict'), result: recurrentPredictResultSchema }) }
  ],
  views: [],
  kept: ['recurrent.generate', 'recurrent.predict'],
  exports: ['onnx', 'safetensors']
})
