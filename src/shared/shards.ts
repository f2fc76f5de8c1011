// The contract of a sharded run: what a queue job carries to a worker (one shard of a spec) and what comes back.
// Both sides validate: a worker refuses a bad payload naming the field, the coordinator a bad result.
// Legend: pi index of the pattern count; t0..t1 trials [t0, t1) of that pattern count.
import { z } from 'zod'
import { experimentSpecSchema } from './spec'

/** Format of a shard job; a worker refuses any other. */
export const SHARD_JOB_VERSION = 1

/** A capacity shard: trials [t0, t1) at the pi-th pattern count. Its numbers depend only on the spec, the seed and (pi, t). */
export const capacityShardSchema = z
  .object({
    type: z.literal('capacity'),
    id: z.string().regex(/^capacity-p\d+-t\d+-\d+$/, "expected 'capacity-p<pi>-t<t0>-<t1>'"),
    pi: z.int().nonnegative(),
    t0: z.int().nonnegative(),
    t1: z.int().positive()
  })
  .strict()
  .refine((s) => s.t1 > s.t0, { message: 't1 must be greater than t0', path: ['t1'] })

export const shardSchema = capacityShardSchema
export type Shard = z.infer<typeof shardSchema>

export const shardJobSchema = z
  .object({
    v: z.literal(SHARD_JOB_VERSION),
    /** The run this shard belongs to: the cancel key and the merge use it. */
    runId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, _ or -'),
    /** The coordinator's Engram version: a worker of another version refuses the shard (its numbers could differ). */
    engram: z.string().min(1),
    spec: experimentSpecSchema,
    shard: shardSchema
  })
  .strict()
export type ShardJob = z.infer<typeof shardJobSchema>

const computeSchema = z.object({ path: z.enum(['core', 'engine']), provider: z.string(), fallbackReason: z.string().optional() })

export const capacityTrialSchema = z.object({
  pi: z.int().nonnegative(),
  t: z.int().nonnegative(),
  rules: z.array(z.object({ fixed: z.int().nonnegative(), dots: z.array(z.int()) }).nullable())
})

export const shardResultSchema = z.object({
  type: z.literal('capacity'),
  id: z.string(),
  compute: computeSchema,
  trials: z.array(capacityTrialSchema)
})
export type ShardResult = z.infer<typeof shardResultSchema>
