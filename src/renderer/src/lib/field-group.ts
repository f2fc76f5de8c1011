// The number fields of one form report whether they hold a bad value, so the form's action (Train, Run, Start) is
// disabled while any of them does: the field says why, the button cannot run something else.
import { computed, inject, onBeforeUnmount, provide, shallowRef, type ComputedRef, type InjectionKey } from 'vue'
import { checkNumber, NO_LIMITS, type NumberLimits } from '../../../shared/limits'

export interface FieldGroup {
  /** Some field of the form holds a value its limits refuse. */
  readonly invalid: ComputedRef<boolean>
  /** The fields' errors by field name, for a summary beside the action. */
  readonly errors: ComputedRef<string[]>
  report(key: object, error: string | null): void
}

const KEY: InjectionKey<FieldGroup> = Symbol('field-group')

export function createFieldGroup(): FieldGroup {
  const byField = shallowRef(new Map<object, string>())
  const report = (key: object, error: string | null): void => {
    if ((byField.value.get(key) ?? null) === error) return
    const next = new Map(byField.value)
    if (error === null) next.delete(key)
    else next.set(key, error)
    byField.value = next
  }
  return { invalid: computed(() => byField.value.size > 0), errors: computed(() => [...byField.value.values()]), report }
}

/** Called by a form component: its number fields (and its children's) report here. */
export function provideFieldGroup(): FieldGroup {
  const group = createFieldGroup()
  provide(KEY, group)
  return group
}

/**
 * Called by a field: reports to its form's group (the one given, where a component holds two forms, or else the
 * enclosing one) and withdraws when unmounted.
 */
export function useFieldReport(given: () => FieldGroup | undefined): (error: string | null) => void {
  const enclosing = inject(KEY, null)
  const key = {}
  let last: FieldGroup | null = null
  onBeforeUnmount(() => last?.report(key, null))
  return (error) => {
    const group = given() ?? enclosing
    if (last && last !== group) last.report(key, null)
    last = group
    group?.report(key, error)
  }
}

export interface NumFieldState {
  /** What the model gets: the typed number even when out of its limits (the form's check refuses it), NaN for no number, null for a blank nullable field. */
  value: number | null
  error: string | null
}

/** Reads a number box's text against its limits: nothing is clamped or replaced, a bad value gets an error naming the limit. */
export function readNumField(text: string, limits: NumberLimits = NO_LIMITS, nullable = false): NumFieldState {
  const raw = text.trim()
  if (raw === '' && nullable) return { value: null, error: null }
  const value = raw === '' ? NaN : Number(raw)
  return { value, error: checkNumber(value, limits) }
}
