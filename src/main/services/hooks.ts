// What long services work takes from its caller (a job worker, the CLI): progress reports and a cancel flag.

export interface ComputeHooks {
  /** fraction in [0,1], done/total in work units (cues or updates). */
  /** `text`: a piece of text the job shows live (a language model's latest sample). */
  onProgress?: (fraction: number, done: number, total: number, message: string, metrics?: Record<string, number>, text?: string) => void
  shouldCancel?: () => boolean
}

/** The core's and engine's hooks: progress as a fraction only. */
export interface FractionHooks {
  onProgress?: (fraction: number) => void
  shouldCancel?: () => boolean
}
