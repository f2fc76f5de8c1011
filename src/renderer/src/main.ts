import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { z } from 'zod'
import App from './App.vue'
import { prepareApi } from './api'
import './styles.css'

// The contract module carries zod schemas; without eval under our CSP, zod must not try to JIT.
z.config({ jitless: true })

// The Backend setting first: the whole API then goes to the chosen backend (this computer or a remote server).
void prepareApi().finally(() => createApp(App).use(createPinia()).mount('#app'))
