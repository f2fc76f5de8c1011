// A stand-in for the `electron` module and the shell's Backend, so that a test can load src/main/index.ts without the
// Electron binary: it records what the shell installs (windows and their web contents, app and web-contents listeners,
// session permission handlers, IPC and protocol handlers, opened links, Backends made and closed) for the test to
// exercise. Load it inside vi.hoisted (`await import`) and mock 'electron' with `{ ...fake.electron, net }` (each test
// serves files its own way).
type Fn = (...args: unknown[]) => unknown

/** Web contents that keep their listeners and window-open handler; `emit` returns whether a listener called preventDefault. */
export class FakeContents {
  static next = 1
  readonly listeners = new Map<string, Fn[]>()
  openHandler: Fn | null = null
  constructor(
    readonly id = FakeContents.next++,
    private readonly onReload: () => void = () => {}
  ) {}
  setWindowOpenHandler(fn: Fn): void {
    this.openHandler = fn
  }
  on(event: string, fn: Fn): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn])
    return this
  }
  emit(event: string, ...args: unknown[]): boolean {
    let prevented = false
    const e = { preventDefault: () => (prevented = true) }
    for (const fn of this.listeners.get(event) ?? []) fn(e, ...args)
    return prevented
  }
  reload(): void {
    this.onReload()
  }
  send(): void {}
}

export interface FakeWindow {
  options: Record<string, unknown>
  contents: FakeContents
  loadedFile?: string
  loadedUrl?: string
  reloads: number
}

/** `extra`: the test's own fields, kept on the same state object. `contentsId`: every window's web-contents id (default: 1, 2, …). */
export function fakeElectron<E extends object>(extra: E, { contentsId }: { contentsId?: number } = {}) {
  const state = {
    appListeners: new Map<string, Fn[]>(),
    enableSandbox: 0,
    windows: [] as FakeWindow[],
    requestHandler: null as Fn | null,
    checkHandler: null as Fn | null,
    opened: [] as string[],
    handlers: new Map<string, Fn>(),
    protocols: new Map<string, (req: Request) => Promise<Response>>(),
    utilityProcess: { fork: (): never => { throw new Error('no job is started here') } },
    backendOptions: null as Record<string, unknown> | null,
    backends: 0,
    closed: 0,
    ...extra
  }
  const emitApp = (event: string, ...args: unknown[]): void => {
    for (const fn of state.appListeners.get(event) ?? []) fn({}, ...args)
  }
  class BrowserWindow {
    readonly webContents: FakeContents
    readonly entry: FakeWindow
    constructor(options: Record<string, unknown>) {
      this.webContents = new FakeContents(contentsId, () => void this.entry.reloads++)
      this.entry = { options, contents: this.webContents, reloads: 0 }
      state.windows.push(this.entry)
      emitApp('web-contents-created', this.webContents)
    }
    static getAllWindows(): unknown[] {
      return state.windows
    }
    on(): this {
      return this
    }
    show(): void {}
    isDestroyed(): boolean {
      return false
    }
    async loadFile(file: string): Promise<void> {
      this.entry.loadedFile = file
    }
    async loadURL(url: string): Promise<void> {
      this.entry.loadedUrl = url
    }
  }
  /** The shell's Backend: its options kept, made and closed counted. */
  class Backend {
    constructor(backendOptions: Record<string, unknown>) {
      state.backends++
      state.backendOptions = backendOptions
    }
    close = async (): Promise<void> => void state.closed++
  }
  const electron = {
    app: {
      enableSandbox: () => void state.enableSandbox++,
      on: (event: string, fn: Fn) => void state.appListeners.set(event, [...(state.appListeners.get(event) ?? []), fn]),
      whenReady: () => Promise.resolve(),
      quit: () => {}
    },
    BrowserWindow,
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: Fn) => void (state.requestHandler = fn),
        setPermissionCheckHandler: (fn: Fn) => void (state.checkHandler = fn)
      }
    },
    shell: { openExternal: async (url: string) => void state.opened.push(url) },
    utilityProcess: state.utilityProcess,
    ipcMain: {
      handle: (channel: string, fn: Fn) => void state.handlers.set(channel, fn),
      removeHandler: (channel: string) => void state.handlers.delete(channel)
    },
    protocol: { handle: (scheme: string, fn: (req: Request) => Promise<Response>) => void state.protocols.set(scheme, fn) }
  }
  return { state, electron, Backend, FakeContents }
}
