// Every number field's limits, read from the contract's schemas (the values the backend accepts), so a form
// refuses exactly what the backend would and states the same limits: no number here is typed twice.
import { bamRecallRunSchema } from '../../../shared/families/bam'
import { recallAsyncRunSchema, recallBatchRunSchema } from '../../../shared/families/hopfield'
import { modernModelSpecSchema, modernRetrieveRunSchema } from '../../../shared/families/modern'
import { rbmSampleRunSchema } from '../../../shared/families/rbm'
import { seedSchema } from '../../../shared/family'
import { limitsAt, numberLimits, type NumberLimits } from '../../../shared/limits'
import { corruptionSchema, datasetRefSchema, energyTrainingSpecSchema, hopfieldModelSpecSchema, rbmModelSpecSchema, sweepSpecSchema } from '../../../shared/spec'
import type { z } from 'zod'

function table<const K extends string>(schema: z.ZodType, paths: readonly K[]): Record<K, NumberLimits> {
  return Object.fromEntries(paths.map((p) => [p, limitsAt(schema, p)])) as Record<K, NumberLimits>
}

export const SEED_LIMITS = numberLimits(seedSchema)

export const DATASET_LIMITS = table(datasetRefSchema, ['count', 'threshold'])

export const RBM_LIMITS = {
  ...table(rbmModelSpecSchema, ['hidden', 'k', 'learningRate', 'momentum', 'weightDecay', 'batchSize', 'epochs', 'sparsity.target', 'sparsity.cost', 'heldOut', 'ais.runs', 'ais.steps']),
  sample: table(rbmSampleRunSchema, ['count', 'steps'])
}

export const HOPFIELD_LIMITS = {
  threshold: limitsAt(hopfieldModelSpecSchema, 'threshold'),
  energy: table(energyTrainingSpecSchema, ['epochs', 'eta', 'evolutionSteps', 'cueNoise']),
  recall: table(recallAsyncRunSchema, ['maxSweeps']),
  batch: table(recallBatchRunSchema, ['cuesPerPattern', 'maxIterations']),
  flip: limitsAt(corruptionSchema, 'fraction')
}

/** The flip or mask fraction typed as a percentage. */
export const PERCENT_LIMITS: NumberLimits = { ...HOPFIELD_LIMITS.flip, min: HOPFIELD_LIMITS.flip.min * 100, max: HOPFIELD_LIMITS.flip.max * 100 }
export const MASK_LIMITS = {
  x: limitsAt(corruptionSchema, 'mask.x'),
  y: limitsAt(corruptionSchema, 'mask.y'),
  width: limitsAt(corruptionSchema, 'mask.width'),
  height: limitsAt(corruptionSchema, 'mask.height')
}

export const BAM_LIMITS = table(bamRecallRunSchema, ['maxIterations'])

/** A sweep's field by type and path: sweepLimits('capacity', 'units'), sweepLimits('anneal', 'schedule.geometric.start'). */
export function sweepLimits(type: string, path: string): NumberLimits {
  return limitsAt(sweepSpecSchema, `${type}.${path}`)
}

export const MODERN_LIMITS = {
  ...table(modernModelSpecSchema, ['beta', 'interaction.polynomial.degree']),
  retrieve: table(modernRetrieveRunSchema, ['maxSteps', 'beta'])
}
