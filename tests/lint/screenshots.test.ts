// `npm test` must not rewrite tracked files: README screenshots are written only through readmeScreenshot, which does
// nothing unless ENGRAM_SCREENSHOTS=1 (`npm run screenshots`).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const E2E = join(__dirname, '../e2e')

describe('README screenshots', () => {
  it('are written by no spec directly, and by the helper only when asked', () => {
    const direct = readdirSync(E2E)
      .filter((f) => f.endsWith('.ts') && f !== 'helpers.ts')
      .filter((f) => /docs\/screenshots/.test(readFileSync(join(E2E, f), 'utf8')))
    expect(direct).toEqual([])
    const helpers = readFileSync(join(E2E, 'helpers.ts'), 'utf8')
    const fn = helpers.slice(helpers.indexOf('export async function readmeScreenshot'))
    expect(fn.slice(0, fn.indexOf('\n}'))).toMatch(/if \(process\.env\.ENGRAM_SCREENSHOTS !== '1'\) return/)
  })

  it('have an explicit script', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.screenshots).toMatch(/screenshots\.mjs/)
    expect(pkg.scripts.test).not.toMatch(/ENGRAM_SCREENSHOTS/)
  })
})
