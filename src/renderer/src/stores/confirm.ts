// One question at a time in a modal dialog (unsaved changes before New, a delete): ask() resolves with the id of the
// choice the user clicked ('cancel' on Escape or a click outside).
import { defineStore } from 'pinia'
import { shallowRef } from 'vue'

export interface Choice {
  id: string
  label: string
  kind?: 'primary' | 'danger'
}

export interface Question {
  title: string
  message: string
  choices: Choice[]
}

export const useConfirmStore = defineStore('confirm', () => {
  const question = shallowRef<Question | null>(null)
  let resolve: ((choice: string) => void) | null = null

  function ask(q: Question): Promise<string> {
    resolve?.('cancel')
    question.value = q
    return new Promise<string>((r) => (resolve = r))
  }

  function answer(choice: string): void {
    const r = resolve
    resolve = null
    question.value = null
    r?.(choice)
  }

  return { question, ask, answer }
})

/** Asks whether to delete something; true for Delete. */
export async function confirmDelete(what: string, consequence: string): Promise<boolean> {
  const choice = await useConfirmStore().ask({
    title: `Delete ${what}?`,
    message: consequence,
    choices: [
      { id: 'delete', label: 'Delete', kind: 'danger' },
      { id: 'cancel', label: 'Cancel' }
    ]
  })
  return choice === 'delete'
}
