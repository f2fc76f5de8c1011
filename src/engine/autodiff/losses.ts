// Common losses built from tape ops (so they differentiate like any other forward code), with torch's 'mean' reduction.
import type { Tape } from './tape'

export interface CrossEntropyOptions {
  /**
   * Class indices only: rows whose target is negative (e.g. −100, torch's default ignore_index) contribute nothing to
   * the loss or its gradient, and the mean is over the other rows (0 when there are none; torch gives NaN there).
   */
  ignoreNegative?: boolean
}

/**
 * Softmax cross-entropy, mean over the batch (torch.nn.CrossEntropyLoss). `logits` [B, C];
 * `targets` either class probabilities / one-hot rows [B, C] of the logits' type, or int64/int32
 * class indices [B].
 */
export function softmaxCrossEntropy(t: Tape, logits: string, targets: string, opts: CrossEntropyOptions = {}): string {
  const shape = t.shape(logits)
  if (shape.length !== 2) throw new RangeError(`softmaxCrossEntropy: logits must be [B, C], got rank ${shape.length}`)
  const type = t.type(logits)
  let probs = targets
  const tt = t.type(targets)
  if (tt === 'int64' || tt === 'int32') {
    const classes = shape[1]
    if (typeof classes !== 'number') throw new RangeError('softmaxCrossEntropy: class indices need a static class count')
    // One-hot rows from Equal(label, 0..C-1): no gradient flows into labels anyway.
    const data = tt === 'int64' ? BigInt64Array.from({ length: classes }, (_, i) => BigInt(i)) : Int32Array.from({ length: classes }, (_, i) => i)
    const range = t.constant({ type: tt, dims: [classes], data }, 'classes')
    const col = t.nondiff('Unsqueeze', [targets, t.ints([-1])], {}, [{ type: tt, shape: [...t.shape(targets), 1] }])[0]!
    const eq = t.nondiff('Equal', [col, range], {}, [{ type: 'bool', shape: [shape[0]!, classes] }])[0]!
    probs = t.nondiff('Cast', [eq], { to: type === 'float64' ? 11 : 1 }, [{ type, shape: [shape[0]!, classes] }])[0]!
  }
  const picked = t.reduceSum(t.mul(probs, t.logSoftmax(logits, 1)), [1])
  if (opts.ignoreNegative && (tt === 'int64' || tt === 'int32')) {
    // A negative target's one-hot row is all zero, so its row adds nothing to the sum; only the count changes.
    const zero = t.constant({ type: tt, dims: [], data: tt === 'int64' ? BigInt64Array.of(0n) : Int32Array.of(0) }, 'zero')
    const ge = t.nondiff('GreaterOrEqual', [targets, zero], {}, [{ type: 'bool', shape: t.shape(targets) }])[0]!
    const kept = t.nondiff('Cast', [ge], { to: type === 'float64' ? 11 : 1 }, [{ type, shape: t.shape(targets) }])[0]!
    const count = t.nondiff('Max', [t.reduceSum(kept), t.constant(1)], {}, [{ type, shape: [] }])[0]!
    return t.neg(t.div(t.reduceSum(picked), count))
  }
  return t.neg(t.reduceMean(picked))
}

/** Binary cross-entropy on logits, mean over all elements (torch BCEWithLogitsLoss): max(x,0) − x·y + log(1 + e^(−|x|)). */
export function binaryCrossEntropyWithLogits(t: Tape, logits: string, targets: string): string {
  const softplusNegAbs = t.log(t.add(t.exp(t.neg(t.abs(logits))), 1))
  return t.reduceMean(t.add(t.sub(t.relu(logits), t.mul(logits, targets)), softplusNegAbs))
}

/** Mean squared error over all elements (torch MSELoss). */
export function meanSquaredError(t: Tape, prediction: string, target: string): string {
  const d = t.sub(prediction, target)
  return t.reduceMean(t.mul(d, d))
}
