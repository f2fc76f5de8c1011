// Number formatting for a dense scientific UI.

export function pct(x: number | null | undefined, digits = 1): string {
  if (x == null || !Number.isFinite(x)) return '–'
  return `${(x * 100).toFixed(digits)} %`
}

/** Every classification accuracy in the app (epoch summaries, model card, confusion matrix): one rounding. */
export function accuracyPct(x: number | null | undefined): string {
  return pct(x, 1)
}

export function num(x: number | null | undefined, digits = 3): string {
  if (x == null || !Number.isFinite(x)) return '–'
  if (Number.isInteger(x)) return String(x)
  return x.toFixed(digits)
}

export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '–'
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const m = Math.floor(seconds / 60)
  return `${m} min ${Math.round(seconds - 60 * m)} s`
}

export function rate(perSecond: number | null | undefined, unit: string): string {
  if (perSecond == null || !Number.isFinite(perSecond)) return '–'
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M${unit}/s`
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k${unit}/s`
  return `${perSecond.toFixed(0)} ${unit}/s`
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(2)} MiB`
}

const OUTCOMES = {
  'fixed-point': 'fixed point',
  cycle: '2-cycle',
  'max-iterations': 'max iterations',
  'stored-match': 'matches a stored vector',
  repeat: 'repeats an earlier vector'
} as const

export function outcomeText(outcome: keyof typeof OUTCOMES): string {
  return OUTCOMES[outcome]
}

export function timestampName(prefix: string, d = new Date()): string {
  const p = (v: number) => String(v).padStart(2, '0')
  return `${prefix} ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}
