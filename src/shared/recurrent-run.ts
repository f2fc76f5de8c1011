// Recurrent char-LM training from a spec file (`engram run`): the spec and the result. A spec whose `model` is
// { "kind": "recurrent", … } trains the app's char-LM (RNN page) on a shipped corpus, an imported text or a UTF-8 file
// beside the spec, then draws the samples the spec asks for. Shaped like the RBM spec (rbm-run.ts): version, name,
// seed, model, engine; exports through --export. JSON Schemas in resources/schema/ (recurrent-spec, recurrent-result)
// are generated from these (npm run schema).
import { z } from 'zod'
import {
  recurrentGenerateResultSchema,
  recurrentGenerateRunSchema,
  recurrentInfoSchema,
  recurrentModelSpecSchema,
  recurrentPredictResultSchema,
  recurrentPredictRunSchema,
  textSourceSchema
} from './families/recurrent'
import { engineSpecSchema, resultFileHead, specFileHead, trainedModelSchema } from './spec'

/** The most samples one spec may ask for. */
export const MAX_SPEC_SAMPLES = 50

/** The text: a shipped corpus, an imported text ('user-text:<name>' under --data-dir) or a UTF-8 file. */
export const recurrentSpecTextSchema = z.union([
  ...textSourceSchema.options,
  z.object({ path: z.string().min(1).max(4096).describe("a UTF-8 text file, relative to the spec file's directory") }).strict()
])

// A spec file trains from scratch: continuing a model (continueFrom) needs the session that holds it (the app's RNN page).
export const recurrentRunModelSchema = recurrentModelSpecSchema.omit({ continueFrom: true }).extend({ text: recurrentSpecTextSchema.default({ corpus: 'sonnets' }) })
export type RecurrentRunModel = z.infer<typeof recurrentRunModelSchema>

/** One sample to draw from the trained model: the app's generate run (prompt, length, temperature, topK, seed). */
export const recurrentSpecSampleSchema = recurrentGenerateRunSchema.omit({ kind: true })

export const recurrentRunSpecSchema = z
  .object({
    ...specFileHead('recurrent'),
    model: recurrentRunModelSchema,
    /** Samples drawn after training; every prompt character must be in the text's vocabulary. */
    generate: z.array(recurrentSpecSampleSchema).max(MAX_SPEC_SAMPLES).default([]),
    /** Task models (model.task): inputs to run the trained model on (a string to classify, a forecast window of numbers). */
    predict: z.array(recurrentPredictRunSchema.shape.input).max(MAX_SPEC_SAMPLES).default([]),
    engine: engineSpecSchema
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.model.task && spec.generate.length > 0) ctx.addIssue({ code: 'custom', path: ['generate'], message: 'samples are for the char-LM; a task model runs its inputs from predict' })
    if (!spec.model.task && spec.predict.length > 0) ctx.addIssue({ code: 'custom', path: ['predict'], message: 'predict runs a task model (model.task); a char-LM draws samples from generate' })
  })
export type RecurrentRunSpec = z.infer<typeof recurrentRunSpecSchema>

export const recurrentRunResultSchema = z
  .object({
    ...resultFileHead('engram.recurrent-result', recurrentRunSpecSchema),
    metrics: z.object({
      steps: z.int(),
      seconds: z.number(),
      /** The last report's training loss (nats per character; a task: its head's loss) and perplexity; null when stopped before the first (perplexity: or an MSE head). */
      loss: z.number().nullable(),
      perplexity: z.number().nullable(),
      /** The core's loss of the final weights on the evaluation windows (a task: its held-out rows), and its perplexity (null for an MSE head). */
      evalLoss: z.number(),
      evalPerplexity: z.number().nullable()
    }),
    /** What the app keeps of a trained char-LM (its spec is the result's spec.model): vocabulary, history, eval loss, partial / stopReason. */
    recurrent: recurrentInfoSchema.omit({ kind: true, spec: true }),
    /** The spec's samples, in order: the sample and the argmax line from the same history. */
    samples: z.array(recurrentGenerateResultSchema.omit({ modelId: true })),
    /** The spec's predict inputs, in order, run on the trained task model. */
    predictions: z.array(recurrentPredictResultSchema.omit({ modelId: true })).default([]),
    /** stateDict: float32 weights under PyTorch's names (embedding.weight, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, … head.weight, head.bias). */
    model: trainedModelSchema('recurrent')
  })
  .strict()
export type RecurrentRunResult = z.infer<typeof recurrentRunResultSchema>
