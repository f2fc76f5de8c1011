// Row lists typed by hand: "0-7, 12, 20-23" → [0, …, 7, 12, 20, …, 23], checked against the rows there are.

/** Parses a list of row numbers and ranges; throws naming the bad part. At most `limit` rows. */
export function parseRowList(text: string, rows: number, limit = 64): number[] {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '')
  if (parts.length === 0) throw new Error('rows: give row numbers, e.g. 0-7 or 3, 12, 40')
  const out: number[] = []
  for (const part of parts) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!m) throw new Error(`rows: '${part}' is not a row number or a range a-b`)
    const a = Number(m[1])
    const b = m[2] !== undefined ? Number(m[2]) : a
    if (b < a) throw new Error(`rows: '${part}' runs backwards`)
    if (b >= rows) throw new Error(`rows: ${b} is past the last row (${rows - 1})`)
    for (let r = a; r <= b; r++) {
      if (!out.includes(r)) out.push(r)
      if (out.length > limit) throw new Error(`rows: at most ${limit} at a time`)
    }
  }
  return out
}
