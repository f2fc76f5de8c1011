// Text files imported as strings (`?raw`) by the bundler (electron-vite) and by vitest.
declare module '*.txt?raw' {
  const text: string
  export default text
}
