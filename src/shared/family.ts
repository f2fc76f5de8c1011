// What a model family declares in one place: its spec, what the session keeps of a trained model, its state-dict
// tensors, its jobs (train, and the runs on a trained model), its quick views and its export formats. The API,
// the session schema, the job tables and the pages are built from these declarations (families/index.ts).
import { z } from 'zod'
import { datasetRefSchema } from './spec'

export const EXPORT_FORMATS = ['onnx', 'safetensors', 'npz'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

const seedSchema = z.int().nonnegative().max(2 ** 32 - 1)

/** A kind-tagged object schema (the discriminated unions of the registry are over `kind`). */
type Tagged<K extends string = string> = z.ZodObject<{ kind: z.ZodLiteral<K> } & z.ZodRawShape>

export interface JobDeclaration<Req extends Tagged = Tagged, Res extends Tagged = Tagged> {
  /** What the job needs (a run's request names the model through `modelId`, added by models.run). */
  request: Req
  /** What job.done carries. */
  result: Res
}

export interface ViewDeclaration<Req extends Tagged = Tagged, Res extends Tagged = Tagged> {
  request: Req
  result: Res
}

export interface FamilyDescriptor {
  /** The family's model kind, as in specs (`model.kind`) and in the session's `models[].kind`. */
  kind: string
  /** For people: "Hopfield network". */
  label: string
  spec: Tagged
  /** One entry of the session's `models[]`: id, name, kind, spec, dataset, createdAt and the family's own fields. */
  model: Tagged
  /** Required state-dict tensors, stored in the session as `models/<id>/<name>`. */
  tensors: readonly string[]
  /** Training: `models.train` starts it as a job whose kind is `<kind>.train`. */
  train: JobDeclaration
  /** Jobs on a trained model (`models.run`); each request's kind names the run. */
  runs: readonly JobDeclaration[]
  /** Quick reads of a trained model (`models.view`), answered directly. */
  views: readonly ViewDeclaration[]
  /** Run kinds whose last result the session keeps (in `results[kind]`) so a reopened session shows it. */
  kept: readonly string[]
  exports: readonly ExportFormat[]
}

/**
 * The job of training a model of one family: `<kind>.train`, the dataset, the spec and the seed. A family whose data is
 * named in its spec (the recurrent family's text) passes `{ dataset: false }`: its request has no dataset.
 */
export function trainJob<K extends string, S extends Tagged, M extends Tagged>(kind: K, spec: S, model: M): {
  request: z.ZodObject<{ kind: z.ZodLiteral<K>; dataset: typeof datasetRefSchema; model: S; seed: z.ZodDefault<typeof seedSchema> }, z.core.$strict>
  result: z.ZodObject<{ kind: z.ZodLiteral<K>; model: M }>
}
export function trainJob<K extends string, S extends Tagged, M extends Tagged>(kind: K, spec: S, model: M, options: { dataset: false }): {
  request: z.ZodObject<{ kind: z.ZodLiteral<K>; model: S; seed: z.ZodDefault<typeof seedSchema> }, z.core.$strict>
  result: z.ZodObject<{ kind: z.ZodLiteral<K>; model: M }>
}
export function trainJob<K extends string, S extends Tagged, M extends Tagged>(kind: K, spec: S, model: M, options: { dataset?: boolean } = {}) {
  const base = { kind: z.literal(kind), model: spec, seed: seedSchema.default(0) }
  return {
    request: (options.dataset === false ? z.object(base) : z.object({ ...base, dataset: datasetRefSchema })).strict(),
    result: z.object({ kind: z.literal(kind), model })
  }
}

/** Checks a family declaration's internal consistency at load time (kinds prefixed, kept runs declared). */
export function defineFamily<const F extends FamilyDescriptor>(family: F): F {
  const trainKind = family.train.request.shape.kind.value
  if (trainKind !== `${family.kind}.train`) throw new Error(`family ${family.kind}: its train job must be '${family.kind}.train', not '${trainKind}'`)
  const runKinds = family.runs.map((r) => r.request.shape.kind.value)
  for (const k of family.kept) if (!runKinds.includes(k)) throw new Error(`family ${family.kind}: kept run '${k}' is not one of its runs`)
  if (family.spec.shape.kind.value !== family.kind || family.model.shape.kind.value !== family.kind) {
    throw new Error(`family ${family.kind}: spec and model must carry kind '${family.kind}'`)
  }
  return family
}

export { seedSchema }
