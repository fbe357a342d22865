// Bundles the web UI (web/src, Lit) into dist/web with esbuild, beside its page and
// stylesheet: `npm run build` runs it after tsc. The API serves dist/web at /.
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const out = join(root, 'dist/web')

export async function buildWeb(options: { minify?: boolean } = {}): Promise<{ bytes: number }> {
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  const result = await build({
    entryPoints: { app: join(root, 'web/src/main.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'browser',
    target: ['chrome115', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: true,
    legalComments: 'linked',
    metafile: true,
    tsconfig: join(root, 'web/tsconfig.json'),
    logLevel: 'warning'
  })
  await copyFile(join(root, 'web/index.html'), join(out, 'index.html'))
  await copyFile(join(root, 'web/app.css'), join(out, 'app.css'))
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
  return { bytes }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { bytes } = await buildWeb()
  process.stdout.write(`web UI bundled into dist/web (${Math.round(bytes / 1024)} KiB with source maps)\n`)
}
