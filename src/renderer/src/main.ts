import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { z } from 'zod'
import App from './App.vue'
import './styles.css'

// The contract module carries zod schemas; without eval under our CSP, zod must not try to JIT.
z.config({ jitless: true })

createApp(App).use(createPinia()).mount('#app')
