// Number fields never change what was typed: a value outside the contract's limits, a fraction where a whole number
// is needed, or no number at all keeps its text, shows an error naming the limit, and disables the form's action.
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, h, ref } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { rbmModelSpecSchema, sweepSpecSchema } from '../../src/shared/spec'
import { checkNumber, describeLimits, limitsAt, numberLimits } from '../../src/shared/limits'
import { createFieldGroup, provideFieldGroup, readNumField, type FieldGroup } from '../../src/renderer/src/lib/field-group'
import { RBM_LIMITS, SEED_LIMITS, sweepLimits } from '../../src/renderer/src/lib/form-limits'
import NumField from '../../src/renderer/src/components/NumField.vue'
import { buildTrainJob, defaultRbmForm, trainPlan, type RbmForm } from '../../src/renderer/src/lib/rbm-spec'
import { z } from 'zod'

describe('limits read from the contract', () => {
  it('takes min, max and whole numbers from the schema, exclusive bounds included', () => {
    expect(RBM_LIMITS.hidden).toMatchObject({ min: 1, max: 10000, integer: true })
    expect(RBM_LIMITS.learningRate).toMatchObject({ min: 0, minExclusive: true, max: 10, integer: false })
    expect(RBM_LIMITS['sparsity.target']).toMatchObject({ min: 0, max: 1, minExclusive: true, maxExclusive: true })
    expect(sweepLimits('capacity', 'units')).toMatchObject({ min: 2, max: 4096, integer: true })
    expect(sweepLimits('anneal', 'schedule.geometric.start')).toMatchObject({ min: 0, minExclusive: true })
    expect(SEED_LIMITS).toMatchObject({ min: 0, max: 2 ** 32 - 1, integer: true })
    // The same numbers the schema enforces: a value just past each limit is refused by both.
    for (const path of ['hidden', 'k', 'batchSize', 'epochs', 'learningRate', 'heldOut'] as const) {
      const l = limitsAt(rbmModelSpecSchema, path)
      const field = (rbmModelSpecSchema.shape as Record<string, z.ZodType>)[path] as z.ZodType
      expect(field.safeParse(l.max + 1).success, path).toBe(false)
      expect(checkNumber(l.max + 1, l), path).not.toBeNull()
      expect(field.safeParse(l.max).success, path).toBe(true)
      expect(checkNumber(l.max, l), path).toBeNull()
    }
    expect(() => limitsAt(sweepSpecSchema, 'capacity.nope')).toThrow(/nope/)
    expect(numberLimits(z.int().positive())).toMatchObject({ min: 1, integer: true })
  })

  it('names the limit in every error', () => {
    const l = RBM_LIMITS.hidden
    expect(describeLimits(l)).toBe('a whole number from 1 to 10000')
    expect(checkNumber(-5, l)).toBe('-5 is too small: at least 1')
    expect(checkNumber(0, l)).toBe('0 is too small: at least 1')
    expect(checkNumber(1e9, l)).toBe('1e+9 is too large: at most 10000')
    expect(checkNumber(2.5, l)).toMatch(/not a whole number.*from 1 to 10000/)
    expect(checkNumber(NaN, l)).toMatch(/not a number.*from 1 to 10000/)
    expect(checkNumber(0, RBM_LIMITS.learningRate)).toBe('0 is too small: above 0')
    expect(checkNumber(1e9, RBM_LIMITS.learningRate)).toBe('1e+9 is too large: at most 10')
    expect(checkNumber(100, l)).toBeNull()
  })
})

describe('readNumField', () => {
  it('passes what was typed on unchanged, with the error, never a clamped value', () => {
    expect(readNumField('-5', RBM_LIMITS.hidden)).toEqual({ value: -5, error: '-5 is too small: at least 1' })
    expect(readNumField('1e9', RBM_LIMITS.hidden).value).toBe(1e9)
    expect(readNumField('2.5', RBM_LIMITS.hidden).value).toBe(2.5)
    expect(readNumField(' 200 ', RBM_LIMITS.hidden)).toEqual({ value: 200, error: null })
    const blank = readNumField('', RBM_LIMITS.hidden)
    expect(blank.value).toBeNaN()
    expect(blank.error).toMatch(/not a number/)
    expect(readNumField('abc', RBM_LIMITS.hidden).error).toMatch(/not a number/)
    expect(readNumField('', RBM_LIMITS.hidden, true)).toEqual({ value: null, error: null })
  })
})

describe('field group', () => {
  it('is invalid while any field reports an error, and valid again when it is withdrawn', () => {
    const g = createFieldGroup()
    const a = {}
    const b = {}
    g.report(a, 'x is too small')
    g.report(b, null)
    expect(g.invalid.value).toBe(true)
    expect(g.errors.value).toEqual(['x is too small'])
    g.report(a, null)
    expect(g.invalid.value).toBe(false)
  })
})

async function render(value: number, disabled = false): Promise<{ html: string; group: FieldGroup }> {
  let group: FieldGroup | null = null
  const Form = defineComponent({
    setup() {
      group = provideFieldGroup()
      const v = ref(value)
      return () => h(NumField, { modelValue: v.value, limits: RBM_LIMITS.hidden, disabled, 'data-testid': 'rbm-hidden', class: 'num-s' })
    }
  })
  const html = await renderToString(createSSRApp(Form))
  if (!group) throw new Error('no group')
  return { html, group }
}

describe('NumField', () => {
  it('shows a bad value as typed with its error and makes the form invalid', async () => {
    const { html, group } = await render(-5)
    expect(html).toContain('value="-5"')
    expect(html).toContain('aria-invalid="true"')
    expect(html).toMatch(/data-testid="rbm-hidden-error"[^>]*>-5 is too small: at least 1</)
    expect(group.invalid.value).toBe(true)
  })

  it('shows a good value without an error; a disabled field does not block the form', async () => {
    const ok = await render(100)
    expect(ok.html).toContain('value="100"')
    expect(ok.html).not.toContain('field-error')
    expect(ok.group.invalid.value).toBe(false)
    const off = await render(-5, true)
    expect(off.html).not.toContain('field-error')
    expect(off.group.invalid.value).toBe(false)
  })
})

describe('the RBM page: what the summary says is what runs', () => {
  const digits = { id: 'digits', count: 10000, width: 28, height: 28 }
  it('refuses each out-of-range value with the field named, instead of a clamped run', () => {
    const cases: [Partial<RbmForm>, string][] = [
      [{ hidden: -5 }, 'hidden'],
      [{ hidden: 0 }, 'hidden'],
      [{ hidden: 1e9 }, 'hidden'],
      [{ hidden: NaN }, 'hidden'],
      [{ learningRate: -1 }, 'learningRate'],
      [{ learningRate: 1e9 }, 'learningRate'],
      [{ epochs: 0 }, 'epochs'],
      [{ batchSize: 0 }, 'batchSize'],
      [{ count: 0 }, 'count']
    ]
    for (const [patch, field] of cases) {
      const built = buildTrainJob({ ...defaultRbmForm(), ...patch }, [digits])
      expect(built.error, JSON.stringify(patch)).toBeDefined()
      expect(built.field, JSON.stringify(patch)).toBe(field)
    }
  })

  it('plans and sends the typed values themselves', () => {
    const form = { ...defaultRbmForm(), hidden: 37, epochs: 3 }
    const built = buildTrainJob(form, [digits])
    expect(built.spec?.model).toMatchObject({ hidden: 37, epochs: 3 })
    expect(trainPlan(form, digits).parameters).toBe(784 * 37 + 784 + 37)
    // A bad value is shown as typed in the plan (and Train is disabled), never the previous good one.
    expect(trainPlan({ ...form, hidden: -5 }, digits).parameters).toBe(784 * -5 + 784 - 5)
  })
})
