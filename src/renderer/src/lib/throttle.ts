// A value that follows its source at most once per interval (the first change at once, the latest one at the end of
// the interval): live charts fed by fast job progress redraw a few times a second instead of on every event, so the
// window stays responsive (a fast RBM training sends tens of epochs a second).
import { getCurrentScope, onScopeDispose, shallowRef, watch, type ShallowRef } from 'vue'

export function throttledRef<T>(source: () => T, ms: number): Readonly<ShallowRef<T>> {
  const out = shallowRef(source())
  let timer: ReturnType<typeof setTimeout> | null = null
  let last = 0
  const stop = watch(source, (value) => {
    if (timer) return // the scheduled update reads the source afresh
    const wait = last + ms - Date.now()
    if (wait <= 0) {
      last = Date.now()
      out.value = value
    } else {
      timer = setTimeout(() => {
        timer = null
        last = Date.now()
        out.value = source()
      }, wait)
    }
  })
  if (getCurrentScope()) {
    onScopeDispose(() => {
      stop()
      if (timer) clearTimeout(timer)
    })
  }
  return out
}
