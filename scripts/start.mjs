// `npm start`: builds when the sources are newer than dist/ (or dist/ is missing), then
// serves the demo persona's home (.cosmic-demo, made on first use) and prints the URL to
// open, with its token. Plain JavaScript, so it runs before anything is built.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outputs = ['dist/src/cli/main.js', 'dist/web/app.js', 'dist/web/index.html'].map((f) => join(root, f))

function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

function needsBuild() {
  if (!outputs.every((f) => existsSync(f))) return true
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs))
  const sources = Math.max(
    ...['src', 'web', 'scripts', 'fixtures'].map((d) => newest(join(root, d))),
    statSync(join(root, 'package.json')).mtimeMs,
    statSync(join(root, 'tsconfig.json')).mtimeMs
  )
  return sources > built
}

// COSMIC_START_NO_BUILD=1 serves what dist/ holds (tests, which build first).
if (!process.env.COSMIC_START_NO_BUILD && needsBuild()) {
  process.stderr.write('Building (the sources are newer than dist/)…\n')
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const args = [join(root, 'dist/src/cli/main.js'), 'serve', '--demo', ...process.argv.slice(2)]
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
