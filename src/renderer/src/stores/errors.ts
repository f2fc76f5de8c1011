// API and job errors shown in the banner; every message names the method and, when known, the field.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { toApiError } from '../api/errors'

export interface Notice {
  id: number
  code: string
  message: string
  field?: string
  context?: string
  at: number
}

export const useErrorsStore = defineStore('errors', () => {
  const items = ref<Notice[]>([])
  let nextId = 1

  /** An error for the banner; a refused token is not one (the connection banner says it once, for every call). */
  function push(error: unknown, context?: string): Notice | null {
    const e = toApiError(error)
    if (e.code === 'unauthorized') return null
    const notice: Notice = {
      id: nextId++,
      code: e.code,
      message: e.message,
      ...(e.field ? { field: e.field } : {}),
      ...(context ? { context } : {}),
      at: Date.now()
    }
    items.value = [...items.value.slice(-9), notice]
    return notice
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((n) => n.id !== id)
  }

  function clear(): void {
    items.value = []
  }

  /** Runs fn; an error goes to the banner instead of propagating (for UI handlers). */
  async function guard<T>(context: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn()
    } catch (error) {
      push(error, context)
      return undefined
    }
  }

  return { items, push, dismiss, clear, guard }
})
