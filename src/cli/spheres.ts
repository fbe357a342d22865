import type { Command as Program } from 'commander'
import { runThroughServer } from '../api/local-socket.js'
import {
  peers,
  share,
  sharesList,
  sphereApprove,
  sphereCreate,
  sphereDeny,
  sphereFeed,
  sphereInvite,
  sphereJoin,
  sphereLeave,
  sphereList,
  sphereMembers,
  spherePost,
  sphereRemove,
  sphereRequests,
  sphereRotate,
  sphereSeed,
  unshare
} from '../commands/sphere.js'
import { CosmicError } from '../errors.js'
import { type Home, resolveHomePath } from '../store/home.js'
import { DeviceLink, hasOtherDevices } from '../swarm/devices.js'
import {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  inviteNeedsApproval,
  type JoinRequestView,
  lazySpheres,
  type Spheres
} from '../swarm/spheres.js'
import { serveLocalCommands } from './local-commands.js'
import { registerMatchCommands } from './match.js'
import { askYesNo } from './prompt.js'
import { globals, integer, networkOptions, openHome, print, printResult, runOnHome, textArgument } from './run.js'

/** "90s", "10m", "24h", "7d", or a number of seconds. */
export function duration(name: string) {
  return (value: string): number => {
    const match = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim())
    if (!match)
      throw CosmicError.INVALID_INPUT(`${name} must be a duration such as 90s, 10m, 24h or 7d (got "${value}")`)
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd']
    const ms = Number(match[1]) * unit
    if (!Number.isSafeInteger(ms) || ms <= 0) throw CosmicError.INVALID_INPUT(`${name} must be more than zero`)
    return ms
  }
}

/** Opens the home in this process (no server holds it) with its spheres, runs `fn`, closes both. */
async function withSpheres<T>(fn: (spheres: Spheres, home: Home) => Promise<T>): Promise<T> {
  const g = globals()
  const home = await openHome(resolveHomePath(g.home))
  const spheres = lazySpheres(home, networkOptions())
  try {
    return await fn(await spheres.get(), home)
  } finally {
    await spheres.close()
    await home.close()
  }
}

function stopSignal(): { promise: Promise<void>; dispose(): void } {
  let done: () => void = () => {}
  const promise = new Promise<void>((resolve) => {
    done = resolve
  })
  process.once('SIGINT', done)
  process.once('SIGTERM', done)
  return {
    promise,
    dispose() {
      process.removeListener('SIGINT', done)
      process.removeListener('SIGTERM', done)
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A request to join, shown in the process that waits for it: on a terminal it asks the
 * person (no is the default); otherwise it says how to decide from another terminal.
 * False when the person stopped (Ctrl-C at the question).
 */
async function decideHere(spheres: Spheres, request: JoinRequestView): Promise<boolean> {
  const sphere = request.sphere.slice(0, 12)
  const who = `${request.name} (identity ${request.identity.slice(0, 12)}…)`
  if (!process.stdin.isTTY) {
    print(
      `${who} asks to join ${request.sphereName} (request ${request.id}). To let them in: cosmic sphere approve ${sphere} ${request.id}; to refuse: cosmic sphere deny ${sphere} ${request.id}`
    )
    return true
  }
  const yes = await askYesNo(`${who} asks to join ${request.sphereName}. Let them in? [y/N] `)
  if (yes === null) return false
  try {
    const decided = yes ? await spheres.approve(sphere, request.id) : await spheres.deny(sphere, request.id)
    print((yes ? sphereApprove : sphereDeny).render(decided))
  } catch (err) {
    // Decided meanwhile elsewhere (another terminal, the web app), or the invite expired.
    print(CosmicError.is(err) ? err.message : String(err))
  }
  return true
}

export function registerSphereCommands(program: Program): void {
  const sphere = program
    .command('sphere')
    .description('spheres: shared spaces with people you invite, end-to-end encrypted')

  sphere
    .command('create')
    .description('create a sphere; nothing leaves this device until you share something into it')
    .argument('<name...>', 'its name, e.g. "Night writers"')
    .action((words: string[]) => runOnHome(sphereCreate, { name: words.join(' ') }))

  sphere
    .command('list')
    .description('the spheres this home is in')
    .action(() => runOnHome(sphereList, {}))

  sphere
    .command('invite')
    .description('print a one-time invite code, then stay online until it is used (or --no-wait)')
    .argument('<sphere>', 'the sphere: its key, a prefix of 4+ characters, or its name')
    .option('--expires <duration>', 'how long the code is valid: 90s, 10m, 24h, 7d', duration('--expires'))
    .option(
      '--approve',
      'a person on this home approves whoever asks with the code before they join (default: its holder is admitted)'
    )
    .option('--no-wait', 'print the code and exit: this home admits them later while `cosmic sync` / `serve` runs')
    .option('--wait-for <duration>', 'how long to stay online for the joiner', duration('--wait-for'), 600_000)
    .action(async (ref: string, opts: { expires?: number; approve?: boolean; wait: boolean; waitFor: number }) => {
      const input = {
        sphere: ref,
        ...(opts.expires !== undefined ? { expiresIn: opts.expires } : {}),
        ...(opts.approve ? { approve: true } : {})
      }
      const path = resolveHomePath(globals().home)
      const served = await runThroughServer(path, sphereInvite, input)
      if (served) return printResult(sphereInvite, served.output)
      await withSpheres(async (spheres, home) => {
        const output = await sphereInvite.run(
          { home, progress: { start() {}, update() {}, stop() {} }, spheres: async () => spheres },
          input
        )
        printResult(sphereInvite, { ...output, online: opts.wait })
        if (!opts.wait) return
        await spheres.startNetwork()
        // While it waits, other commands on this home (`cosmic sphere approve` in another terminal) run here.
        const stopLocal = await serveLocalCommands(home, spheres)
        const json = globals().json
        if (!json) print(`Waiting up to ${Math.round(opts.waitFor / 60_000)} min for them to join (Ctrl-C stops)…`)
        const stop = stopSignal()
        const end = Date.now() + opts.waitFor
        let stopped = false
        stop.promise.then(() => {
          stopped = true
        })
        const asked = new Set<string>()
        const { sphere: chain } = await spheres.get(output.sphere)
        try {
          while (!stopped && Date.now() < end) {
            const record = spheres.registry.get(output.sphere)
            const used = record?.invites.find((i) => i.id === output.id && i.used !== null)
            // Used: they are in once the sphere has them (an approval waits for their device).
            const member = used?.usedBy ? await chain.member(used.usedBy) : null
            if (used && (member || !used.usedBy)) {
              if (!json) print(`${member?.name ?? 'They'} joined; staying online while they catch up…`)
              // Stay while the joiner is connected (it disconnects once it is a writer), at most 30 s.
              const settle = Date.now() + 30_000
              await sleep(500)
              while (!stopped && Date.now() < settle && spheres.peers().length > 0) await sleep(250)
              return
            }
            for (const request of spheres.requests(output.sphere)) {
              if (request.invite !== output.id || request.status !== 'pending' || asked.has(request.id)) continue
              asked.add(request.id)
              if (json) continue
              if (!(await decideHere(spheres, request))) stopped = true
            }
            await sleep(300)
          }
          if (!json && !stopped) {
            print(
              output.approve
                ? 'Nobody joined with the code while this ran. It stays valid until it expires; this home holds requests while `cosmic sync` or `cosmic serve` runs.'
                : 'Nobody used the code while this ran. It stays valid until it expires; this home admits its holder while `cosmic sync` or `cosmic serve` runs.'
            )
          }
        } finally {
          stop.dispose()
          await stopLocal()
        }
      })
    })

  sphere
    .command('join')
    .description('join a sphere with an invite code (the home that made it must be online)')
    .argument('<code>', 'the code from `cosmic sphere invite`')
    .option(
      '--timeout <duration>',
      'how long to wait for an answer (default 60s; 10m when a person approves the code)',
      duration('--timeout')
    )
    .option('--name <name>', 'the name members see (default: your name in this home)')
    .action((code: string, opts: { timeout?: number; name?: string }) => {
      if (!globals().json && inviteNeedsApproval(code)) {
        const wait = opts.timeout ?? DEFAULT_APPROVAL_TIMEOUT_MS
        process.stderr.write(
          `This invite needs the approval of a person on the home that made it: waiting for them to approve your request (up to ${
            wait % 60_000 === 0 ? `${wait / 60_000} min` : `${Math.round(wait / 1000)} s`
          }; --timeout changes it; Ctrl-C stops)…\n`
        )
      }
      return runOnHome(sphereJoin, {
        code,
        ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {})
      })
    })

  sphere
    .command('requests')
    .description('requests to join with your --approve invites that wait for you (they wait while this home is online)')
    .argument('[sphere]', 'only this sphere')
    .option('--all', 'the decided ones too (approved, denied, expired)')
    .action((ref: string | undefined, opts: { all?: boolean }) =>
      runOnHome(sphereRequests, { ...(ref !== undefined ? { sphere: ref } : {}), all: opts.all ?? false })
    )

  sphere
    .command('approve')
    .description('let in someone who asked to join with your --approve invite: they become a member')
    .argument('<sphere>')
    .argument('<request>', 'its id from `cosmic sphere requests` (or a prefix), or the name they gave')
    .action((ref: string, request: string) => runOnHome(sphereApprove, { sphere: ref, request }))

  sphere
    .command('deny')
    .description('refuse someone who asked to join with your --approve invite (they are told JOIN_DENIED)')
    .argument('<sphere>')
    .argument('<request>', 'its id from `cosmic sphere requests` (or a prefix), or the name they gave')
    .action((ref: string, request: string) => runOnHome(sphereDeny, { sphere: ref, request }))

  sphere
    .command('members')
    .description('who is in a sphere, and what its log refused')
    .argument('<sphere>')
    .action((ref: string) => runOnHome(sphereMembers, { sphere: ref }))

  sphere
    .command('remove')
    .description(
      'remove a member (admins) and rotate the sphere key: they cannot read what is shared afterwards; what they received stays with them'
    )
    .argument('<sphere>')
    .argument('<member>', 'their key (or a prefix) or their name')
    .option('--reason <text>', 'why, for the sphere log')
    .action((ref: string, member: string, opts: { reason?: string }) =>
      runOnHome(sphereRemove, { sphere: ref, member, ...(opts.reason ? { reason: opts.reason } : {}) })
    )

  sphere
    .command('rotate')
    .description('move a sphere to a new key now (admins): whoever holds an old key cannot read what comes after')
    .argument('<sphere>')
    .action((ref: string) => runOnHome(sphereRotate, { sphere: ref }))

  sphere
    .command('leave')
    .description('leave a sphere; this device forgets its keys and clears its data; the others rotate the key')
    .argument('<sphere>')
    .action((ref: string) => runOnHome(sphereLeave, { sphere: ref }))

  sphere
    .command('feed')
    .description('what members shared and posted, newest first')
    .argument('<sphere>')
    .option('--limit <n>', 'how many', integer('--limit'), 20)
    .action((ref: string, opts: { limit: number }) => runOnHome(sphereFeed, { sphere: ref, limit: opts.limit }))

  sphere
    .command('post')
    .description('post (or reply) in a sphere, for its members')
    .argument('<sphere>')
    .argument('<text...>', 'the post, or - to read standard input')
    .option('--reply-to <id>', 'the post or share it answers')
    .action(async (ref: string, words: string[], opts: { replyTo?: string }) =>
      runOnHome(spherePost, {
        sphere: ref,
        text: await textArgument(words),
        ...(opts.replyTo ? { replyTo: opts.replyTo } : {})
      })
    )

  sphere
    .command('seed')
    .description('ask a seeder to keep this sphere available while members are offline (it never gets the key)')
    .argument('<sphere>')
    .argument('<seeder>', 'the key `cosmic seed` printed')
    .action((ref: string, seeder: string) => runOnHome(sphereSeed, { sphere: ref, seeder }))
  registerMatchCommands(sphere)

  program
    .command('share')
    .description('publish a shareable entry, a profile facet (--facet) or pattern counts (--patterns) into a sphere')
    .argument('[entry]', 'the entry id (or a unique prefix of 6+ characters)')
    .requiredOption('--sphere <sphere>', 'the sphere to share into')
    .option('--facet <dimension/facet/key>', 'a profile facet, e.g. mind/skill/typescript')
    .option('--patterns', 'counts of themes and moods over your shareable entries (no words)')
    .option('--from <time>', 'with --patterns: from (default: 30 days before --to)')
    .option('--to <time>', 'with --patterns: until (default: now)')
    .action(
      (
        entry: string | undefined,
        opts: { sphere: string; facet?: string; patterns?: boolean; from?: string; to?: string }
      ) =>
        runOnHome(share, {
          sphere: opts.sphere,
          ...(entry !== undefined ? { entry } : {}),
          ...(opts.facet !== undefined ? { facet: opts.facet } : {}),
          ...(opts.patterns
            ? {
                patterns: {
                  ...(opts.from !== undefined ? { from: opts.from } : {}),
                  ...(opts.to !== undefined ? { to: opts.to } : {})
                }
              }
            : {})
        })
    )

  program
    .command('unshare')
    .description('withdraw a share: members hide it; what they already received cannot be recalled')
    .argument('<ref>', 'the shared item id, the share id, or what was shared (entry id, dimension/facet/key)')
    .option('--sphere <sphere>', 'only in this sphere')
    .action((ref: string, opts: { sphere?: string }) =>
      runOnHome(unshare, { ref, ...(opts.sphere ? { sphere: opts.sphere } : {}) })
    )

  program
    .command('shares')
    .description('what you shared, where, and what you withdrew')
    .option('--sphere <sphere>', 'only this sphere')
    .option('--all', 'include withdrawn shares')
    .action((opts: { sphere?: string; all?: boolean }) =>
      runOnHome(sharesList, { ...(opts.sphere ? { sphere: opts.sphere } : {}), all: opts.all ?? false })
    )

  program
    .command('peers')
    .description('who this device is connected to (while cosmic sync or cosmic serve runs)')
    .action(() => runOnHome(peers, {}))

  program
    .command('sync')
    .description('go online for your spheres: replicate them and answer invites, until Ctrl-C (or --once)')
    .option('--once', 'exit once every sphere has caught up with a peer (or --timeout passed)')
    .option('--timeout <duration>', 'with --once: give up after', duration('--timeout'), 60_000)
    .action(async (opts: { once?: boolean; timeout: number }) => {
      const path = resolveHomePath(globals().home)
      const cleanups: (() => Promise<void> | undefined)[] = []
      const served = await runThroughServer(path, peers, {})
      if (served) {
        if (!served.output.online) {
          throw CosmicError.NETWORK_REFUSED(
            'another process (`cosmic serve`) holds this home and is offline (sync_enabled is false or mirror_mode is local)'
          )
        }
        return print(
          `Another process (\`cosmic serve\` or \`cosmic sync\`) holds this home and is already online (${served.output.peers.length} peers).`
        )
      }
      await withSpheres(async (spheres, home) => {
        const network = await spheres.startNetwork()
        // The person's other devices too (docs/devices.md): their logs are merged as they arrive.
        const link = hasOtherDevices(home) ? new DeviceLink(home, networkOptions()) : null
        await link?.start()
        cleanups.push(() => link?.close())
        // Other commands on this home (`cosmic sphere approve`) run here while it is online.
        cleanups.push(await serveLocalCommands(home, spheres, link ? async () => link : undefined))
        const list = spheres.registry.list()
        const json = globals().json
        const told = new Set<string>()
        const offRequests = spheres.onRequestChange((change) => {
          if (json || change.status !== 'pending' || told.has(change.request)) return
          told.add(change.request)
          const request = spheres.requests(change.sphere).find((r) => r.id === change.request)
          if (!request) return
          const sphere = request.sphere.slice(0, 12)
          print(
            `  ${request.name} (identity ${request.identity.slice(0, 12)}…) asks to join ${request.sphereName} (request ${request.id}): cosmic sphere approve ${sphere} ${request.id}, or cosmic sphere deny ${sphere} ${request.id}`
          )
        })
        cleanups.push(async () => {
          offRequests()
        })
        const report = async () => {
          const rows = []
          for (const record of list) {
            const { sphere } = await spheres.get(record.key)
            const meta = await sphere.meta()
            rows.push({
              sphere: record.key,
              name: meta?.name ?? record.name,
              length: sphere.base.length,
              items: meta?.items ?? 0,
              members: meta?.members ?? 0
            })
          }
          return { peers: spheres.peers().length, seeders: spheres.connectedSeeders(), spheres: rows }
        }
        if (!json)
          print(
            `Online for ${list.length} sphere${list.length === 1 ? '' : 's'}${list.length === 0 ? ' (none yet)' : ''}.`
          )
        const stop = stopSignal()
        let stopped = false
        stop.promise.then(() => {
          stopped = true
        })
        const off = network.onChange(() => {
          if (!json) print(`  ${spheres.peers().length} peer(s) connected`)
        })
        try {
          const end = Date.now() + opts.timeout
          let synced = false
          while (!stopped && (!opts.once || Date.now() < end)) {
            if (opts.once && (spheres.peers().length > 0 || spheres.connectedSeeders() > 0)) {
              // Give replication a moment in both directions, then read the views.
              await sleep(3000)
              for (const record of list) await (await spheres.get(record.key)).sphere.update()
              synced = true
              break
            }
            await sleep(250)
          }
          const state = await report()
          if (json) print(JSON.stringify({ ...state, synced }, null, 2))
          else {
            for (const s of state.spheres)
              print(`  ${s.name}  ${s.sphere.slice(0, 12)}  ${s.members} members, ${s.items} items`)
            if (opts.once && !synced) print('No peer was reachable before the timeout.')
          }
        } finally {
          off()
          stop.dispose()
          for (const cleanup of cleanups) await cleanup()
        }
      })
    })
}
