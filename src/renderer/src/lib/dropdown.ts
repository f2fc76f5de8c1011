// A dropdown's open state: its chip toggles it (calling `onOpen` as it opens), a mousedown outside `root` (the element
// holding the chip and the panel) closes it.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

export function useDropdown(root: Readonly<Ref<HTMLElement | null>>, onOpen?: () => void): { open: Ref<boolean>; toggle: () => void } {
  const open = ref(false)
  function toggle(): void {
    open.value = !open.value
    if (open.value) onOpen?.()
  }
  function onDocClick(ev: MouseEvent): void {
    if (open.value && root.value && !root.value.contains(ev.target as Node)) open.value = false
  }
  onMounted(() => document.addEventListener('mousedown', onDocClick))
  onBeforeUnmount(() => document.removeEventListener('mousedown', onDocClick))
  return { open, toggle }
}
