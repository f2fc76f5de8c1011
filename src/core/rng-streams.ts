// The Rng.fork sub-streams the experiments draw from, named in one place: the core and engine paths of a sweep give
// the same numbers only because they take the very same forks, so no caller writes these numbers itself.
// Legend: pi index of the pattern count (capacity) or of the stored pattern (anneal); t trial; ri rule index; c cue.

/** Capacity sweep: trial t at the pi-th pattern count (its patterns, then its cue streams). */
export const capacityTrialStream = (pi: number, t: number): number => pi * 100003 + t

/** Capacity sweep: inside a trial's fork, the cue (and async visit-order) stream of the ri-th rule. */
export const capacityCueStream = (ri: number): number => 1 + ri

/** Anneal sweep: the annealed chain of cue c of stored pattern pi. */
export const annealChainStream = (pi: number, c: number): number => pi * 65537 + c

/** Anneal sweep: the T = 0 descent from the same cue, this far from its annealed twin. */
export const DESCENT_STREAM_OFFSET = 0x8000

/** Anneal sweep: the T = 0 descent chain of cue c of stored pattern pi. */
export const descentChainStream = (pi: number, c: number): number => annealChainStream(pi, c) + DESCENT_STREAM_OFFSET

/** Energy training's random starts, forked from the experiment seed. */
export const ENERGY_TRAINING_STREAM = 0x5eed

/** Asynchronous recall experiment: the visit orders, forked from the seed that drew the cues. */
export const RECALL_ORDER_STREAM = 1

/** Boltzmann sweep: training, and the completion cues afterwards. */
export const BOLTZMANN_TRAINING_STREAM = 1
export const BOLTZMANN_COMPLETION_STREAM = 2

/** Dense-capacity sweep: trial t at the pi-th pattern count of the ii-th interaction (patterns, cues, visit orders). */
export const denseCapacityTrialStream = (ii: number, pi: number, t: number): number => (ii * 1009 + pi) * 100003 + t

/** Beta sweep: the classical net's asynchronous visit orders on the sweep's cues, forked after the cues are drawn. */
export const BETA_CLASSICAL_ORDER_STREAM = 0xb37a

/** Delay sweep: the init and training rows of cell ci at delay di, trial t (forks of the sweep's stream 0). */
export const delayTrialStream = (ci: number, di: number, t: number): number => (ci * 1009 + di) * 100003 + t + 1
/** Delay sweep: the scoring rows at delay di (shared by every cell); far from the training streams. */
export const delayEvalStream = (di: number): number => 0x7e57_0000 + di

/** Hopfield layer: the task's modes, its training and test sets, the initial weights and the epochs' minibatch orders. */
export const HOPFIELD_LAYER_STREAMS = { modes: 0x4f10, train: 0x4f11, test: 0x4f12, init: 0x4f13, batches: 0x4f14 } as const

/** Hopfield pooling (the layer's pooling mode): the key and decoy split, the training and held-out bags, the init, the minibatch order. */
export const HOPFIELD_POOLING_STREAMS = { key: 0x4f20, train: 0x4f21, test: 0x4f22, init: 0x4f23, batches: 0x4f24 } as const

/** Images sweep: the classical net's asynchronous visit orders, forked after the cues are drawn. */
export const IMAGES_CLASSICAL_ORDER_STREAM = 0x1a9e
