// The images sweep's result, pure parts (004; the blog post's picture): one row per example cue with the cue, the
// modern net's result at each β (small β: a blend of many images, large β: one image) and the classical net's state,
// each captioned with the stored image it is nearest to; and the verdict words of the summary.
import type { SweepResult } from '../../../shared/spec'

export type ImagesSweepResult = Extract<SweepResult, { type: 'images' }>

export interface ImageCell {
  /** What the picture is: 'cue', 'β = 0.01', 'classical'. */
  head: string
  values: number[]
  /** The stored image it is nearest to, and how it relates to the cued one. */
  caption: string
  verdict: 'cue' | 'right' | 'blend' | 'wrong' | 'mixture'
}

const name = (r: ImagesSweepResult, i: number): string => r.cues[i]?.label ?? `#${i}`

/** The picture rows: cue | modern at each β | classical, for each example the result keeps. */
export function imageRows(r: ImagesSweepResult): { pattern: number; label: string; cells: ImageCell[] }[] {
  return r.examples.map((e) => {
    const c = r.cues[e.pattern]!
    const cells: ImageCell[] = [{ head: 'cue', values: e.cue, caption: `${name(r, e.pattern)} #${e.pattern}`, verdict: 'cue' }]
    r.modern.forEach((m, k) => {
      const at = c.modern[k]!
      // exp(H) above 2: more than about two images carry the weight — a blend, whatever it is nearest to.
      const verdict = at.effective > 2 ? 'blend' : at.nearest === e.pattern ? 'right' : 'wrong'
      cells.push({ head: `β = ${m.beta}`, values: e.modern[k]!, caption: `${verdict === 'blend' ? `blend of ≈${Math.round(at.effective)}` : `→ ${name(r, at.nearest)} #${at.nearest}`}`, verdict })
    })
    const cl = c.classical
    cells.push({
      head: 'classical',
      values: e.classical,
      caption: cl.exact ? `→ ${name(r, e.pattern)} exactly` : cl.stored !== null ? `→ #${cl.stored} exactly` : `mixture / spurious (m = ${cl.overlap.toFixed(2)})`,
      verdict: cl.exact ? 'right' : cl.stored !== null ? 'wrong' : 'mixture'
    })
    return { pattern: e.pattern, label: c.label, cells }
  })
}

/** The summary line: P against 0.138·N, and the classical net's outcome shares. */
export function imagesSummary(r: ImagesSweepResult): string {
  const pct = (v: number): string => `${(100 * v).toFixed(1)} %`
  const load = r.patterns > r.hebbCritical ? `above 0.138·N = ${r.hebbCritical.toFixed(0)}` : `below 0.138·N = ${r.hebbCritical.toFixed(0)}`
  return `${r.patterns} images of ${r.width}×${r.height} (${load}), cue: ${r.cue === 'half' ? 'lower half masked' : 'Gaussian noise'} · classical net: ${pct(r.classical.exact)} the right image exactly, ${pct(r.classical.otherPattern)} another, ${pct(r.classical.spurious)} a mixture or other spurious state`
}
