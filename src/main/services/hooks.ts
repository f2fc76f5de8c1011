// What long services work takes from its caller (a job worker, the CLI): progress reports, a cancel flag, checkpoints.
import type { NamedTensor } from '../../core/safetensors'
import type { SessionModel } from '../../shared/session'

export interface ComputeHooks {
  /** fraction in [0,1], done/total in work units (cues or updates). */
  /** `text`: a piece of text the job shows live (a language model's latest sample). */
  onProgress?: (fraction: number, done: number, total: number, message: string, metrics?: Record<string, number>, text?: string) => void
  shouldCancel?: () => boolean
  /**
   * A training's checkpoint: the model as a cancel at this point would keep it (partial), with its tensors. The backend
   * stores it durably, so a crash or kill of the app loses at most the work since the last checkpoint.
   */
  onCheckpoint?: (model: SessionModel, tensors: Record<string, NamedTensor>) => void
}

/** A long training checkpoints at least this often besides its regular checkpoints, so a crash loses at most about this much. */
export const CHECKPOINT_MS = 60_000

/** The core's and engine's hooks: progress as a fraction only. */
export interface FractionHooks {
  onProgress?: (fraction: number) => void
  shouldCancel?: () => boolean
}
