// The electron-builder configuration (package.json "build"), checked without packaging (which needs the internet for
// Electron itself): targets per platform, native files unpacked from the asar, other platforms' binaries left out.
// The glob patterns are matched against the native files really present in node_modules with node:path's matchesGlob
// (minimatch semantics, as electron-builder uses).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, matchesGlob, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  build: {
    appId: string
    productName: string
    files: string[]
    asarUnpack: string[]
    npmRebuild: boolean
    electronFuses: Record<string, boolean>
    linux: { target: string[]; files: string[] }
    win: { target: string[]; files: string[] }
    mac: { target: string[]; files: string[] }
  }
}
const build = pkg.build
type Platform = 'linux' | 'win32' | 'darwin'
const BUILD_KEY: Record<Platform, 'linux' | 'win' | 'mac'> = { linux: 'linux', win32: 'win', darwin: 'mac' }

/** Every file under a folder of node_modules, as a path relative to the project (what electron-builder matches). */
function filesUnder(dir: string): string[] {
  const abs = join(root, dir)
  if (!existsSync(abs)) return []
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out.push(relative(root, p).split('\\').join('/'))
    }
  }
  walk(abs)
  return out
}

/** The native files of the two native dependencies, with the platform each is for (null: built here, for this host). */
const natives = [...filesUnder('node_modules/onnxruntime-node/bin'), ...filesUnder('node_modules/better-sqlite3/prebuilds'), ...filesUnder('node_modules/better-sqlite3/build/Release')]
  .filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f))
  .map((file) => {
    const onnx = /\/napi-v\d+\/(linux|win32|darwin)\/(x64|arm64)\//.exec(file)
    const sqlite = /\/prebuilds\/(linux|linuxmusl|win32|darwin)-(x64|arm64)\.node$/.exec(file)
    const platform = (onnx?.[1] ?? (sqlite ? sqlite[1]!.replace('linuxmusl', 'linux') : null)) as Platform | null
    return { file, platform, arch: onnx?.[2] ?? sqlite?.[2] ?? null }
  })

const unpacked = (file: string): boolean => build.asarUnpack.some((p) => matchesGlob(file, p))
/** Whether a platform's `files` filters drop a file (their negated patterns). */
const dropped = (file: string, platform: Platform): boolean =>
  build[BUILD_KEY[platform]].files.filter((p) => p.startsWith('!')).some((p) => matchesGlob(file, p.slice(1)))

describe('packaging configuration (electron-builder)', () => {
  it('names the app, pins electron-builder, and packages the built app from out/', () => {
    expect(build.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/)
    expect(build.productName).toBe('Engram')
    expect(pkg.devDependencies['electron-builder']).toMatch(/^\d+\.\d+\.\d+$/)
    expect(build.files).toContain('out/**')
    expect(matchesGlob(pkg.main, 'out/**')).toBe(true)
    // Node-API binaries load in Electron as they are: no rebuild (it would need the internet and a compiler).
    expect(build.npmRebuild).toBe(false)
    expect(pkg.dependencies).toHaveProperty('onnxruntime-node')
    expect(pkg.dependencies).toHaveProperty('better-sqlite3')
  })

  it('targets nsis on Windows, dmg on macOS, AppImage and deb on Linux', () => {
    expect(build.win.target).toEqual(['nsis'])
    expect(build.mac.target).toEqual(['dmg'])
    expect(build.linux.target).toEqual(['AppImage', 'deb'])
  })

  it('turns off the Electron fuses that would let the packaged app run as plain Node', () => {
    expect(build.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true })
  })

  it('finds the native files it must handle in node_modules (onnxruntime-node for three platforms, better-sqlite3)', () => {
    const platforms = new Set(natives.filter((n) => n.file.includes('onnxruntime-node')).map((n) => n.platform))
    expect([...platforms].sort()).toEqual(['darwin', 'linux', 'win32'])
    expect(natives.some((n) => n.file.includes('better-sqlite3'))).toBe(true)
  })

  it('unpacks every native file (.node, .so, .dylib, .dll) from the asar', () => {
    expect(natives.filter((n) => !unpacked(n.file)).map((n) => n.file)).toEqual([])
  })

  it('a Linux x64 build keeps and unpacks its own binaries: the ONNX Runtime binding with its .so, and SQLite', () => {
    const own = natives.filter((n) => n.platform === 'linux' && n.arch === 'x64').map((n) => n.file)
    expect(own).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/onnxruntime_binding\.node$/),
        expect.stringMatching(/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/libonnxruntime\.so/),
        'node_modules/better-sqlite3/prebuilds/linux-x64.node'
      ])
    )
    for (const file of own) {
      expect(unpacked(file), file).toBe(true)
      expect(dropped(file, 'linux'), file).toBe(false)
    }
  })

  it.each(['linux', 'win32', 'darwin'] as const)('a %s build leaves out the other platforms’ binaries and keeps its own', (platform) => {
    const kept = natives.filter((n) => n.platform !== null && !dropped(n.file, platform))
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.filter((n) => n.platform !== platform).map((n) => n.file)).toEqual([])
    expect(natives.filter((n) => n.platform === platform && dropped(n.file, platform)).map((n) => n.file)).toEqual([])
  })
})
