// The model-family registry: every family is one line here. The API's model methods, the session's models[] and
// results, and the job-kind tables are derived from this list; a new family adds its file and its line.
import { z } from 'zod'
import type { FamilyDescriptor } from '../family'
import { bamFamily } from './bam'
import { hopfieldFamily } from './hopfield'
import { hopfieldLayerFamily } from './hopfield-layer'
import { modernFamily } from './modern'
import { rbmFamily } from './rbm'
import { recurrentFamily } from './recurrent'

export const FAMILIES = [hopfieldFamily, rbmFamily, bamFamily, modernFamily, recurrentFamily, hopfieldLayerFamily] as const

type Families = typeof FAMILIES
export type Family = Families[number]
export type FamilyKind = Family['kind']

// Type-level views of the registry: tuples of the families' schemas, so the unions below keep every member's type.
type Specs<F extends readonly FamilyDescriptor[]> = { [I in keyof F]: F[I]['spec'] }
type Models<F extends readonly FamilyDescriptor[]> = { [I in keyof F]: F[I]['model'] }
type TrainRequests<F extends readonly FamilyDescriptor[]> = { [I in keyof F]: F[I]['train']['request'] }
type TrainResults<F extends readonly FamilyDescriptor[]> = { [I in keyof F]: F[I]['train']['result'] }
type Sides<T, S extends 'request' | 'result'> = T extends readonly [infer H, ...infer R] ? [H extends { [k in S]: infer X } ? X : never, ...Sides<R, S>] : []
type Flat<F, P extends 'runs' | 'views', S extends 'request' | 'result'> = F extends readonly [infer H extends FamilyDescriptor, ...infer R]
  ? [...Sides<H[P], S>, ...Flat<R, P, S>]
  : []

type AtLeastOne<T> = T extends readonly [infer H extends z.core.$ZodTypeDiscriminable, ...infer R extends z.core.$ZodTypeDiscriminable[]] ? readonly [H, ...R] : never

function union<T extends readonly unknown[]>(members: T): z.ZodDiscriminatedUnion<AtLeastOne<T>, 'kind'> {
  return z.discriminatedUnion('kind', members as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodDiscriminatedUnion<AtLeastOne<T>, 'kind'>
}

const flat = <P extends 'runs' | 'views', S extends 'request' | 'result'>(part: P, side: S): Flat<Families, P, S> =>
  FAMILIES.flatMap((f) => (f[part] as readonly Record<S, z.ZodObject>[]).map((d) => d[side])) as unknown as Flat<Families, P, S>

/** Any family's model spec, told apart by `kind`. */
export const modelSpecSchema = union(FAMILIES.map((f) => f.spec) as unknown as Specs<Families>)
export type ModelSpec = z.infer<typeof modelSpecSchema>

/** One entry of the session's models[]. */
export const sessionModelSchema = union(FAMILIES.map((f) => f.model) as unknown as Models<Families>)
export type SessionModel = z.infer<typeof sessionModelSchema>

export const trainRequestSchema = union(FAMILIES.map((f) => f.train.request) as unknown as TrainRequests<Families>)
export const trainResultSchema = union(FAMILIES.map((f) => f.train.result) as unknown as TrainResults<Families>)
/** A run on a trained model, as models.run takes it (the model is named beside it). */
export const runRequestSchema = union(flat('runs', 'request'))
export const runResultSchema = union(flat('runs', 'result'))
export const viewRequestSchema = union(flat('views', 'request'))
export const viewResultSchema = union(flat('views', 'result'))
export type TrainRequest = z.infer<typeof trainRequestSchema>
export type RunRequest = z.infer<typeof runRequestSchema>
export type RunRequestInput = z.input<typeof runRequestSchema>
export type ViewRequest = z.infer<typeof viewRequestSchema>
export type ViewRequestInput = z.input<typeof viewRequestSchema>
export type ViewResult = z.infer<typeof viewResultSchema>
export type RunKind = RunRequest['kind']
export type ViewKind = ViewRequest['kind']

/** The family a model kind belongs to. */
export function familyOf(kind: string): Family | undefined {
  return FAMILIES.find((f) => f.kind === kind)
}

/** The family that declares a run (or view) kind. */
export function familyOfRun(kind: string): Family | undefined {
  return FAMILIES.find((f) => f.runs.some((r) => r.request.shape.kind.value === kind))
}
export function familyOfView(kind: string): Family | undefined {
  return FAMILIES.find((f) => f.views.some((v) => v.request.shape.kind.value === kind))
}

/** Run kinds whose last result a session keeps. */
export const KEPT_RUNS = FAMILIES.flatMap((f) => f.kept) as readonly string[]

/** Session's kept results: the last result of each kept run kind (absent until one ran). */
export const keptResultsSchema = z.object(
  Object.fromEntries(
    FAMILIES.flatMap((f) => f.runs.filter((r) => (f.kept as readonly string[]).includes(r.request.shape.kind.value)).map((r) => [r.request.shape.kind.value, r.result.nullable().optional()]))
  )
)

/** A models.view answer as the view asked for (its kind checked): the result type the caller expects. */
export function asView<K extends ViewKind>(result: ViewResult, kind: K): Extract<ViewResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`models.view: a '${result.kind}' view came back for '${kind}'`)
  return result as Extract<ViewResult, { kind: K }>
}
