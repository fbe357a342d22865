import { createContext } from '../api/context.js'
import { listenLocalSocket } from '../api/local-socket.js'
import type { Home } from '../store/home.js'
import { type DeviceLink, lazyDevices } from '../swarm/devices.js'
import type { Spheres } from '../swarm/spheres.js'
import { networkOptions } from './run.js'

/**
 * One home, one process: while this process holds the home for a while (`cosmic sync`, a
 * `cosmic sphere invite` that waits), every other `cosmic` command on it runs here
 * through HOME/cosmic.sock, as it does while `cosmic serve` runs (docs/api.md, "the local
 * socket"). That is how `cosmic sphere approve` in another terminal reaches the process
 * that holds the request. Returns what stops it.
 */
export async function serveLocalCommands(
  home: Home,
  spheres: Spheres,
  devices?: () => Promise<DeviceLink>
): Promise<() => Promise<void>> {
  const lazy = devices ? null : lazyDevices(home, networkOptions())
  const context = createContext(home, async () => spheres, devices ?? lazy?.get)
  const local = await listenLocalSocket(context)
  return async () => {
    await local?.close()
    await lazy?.close()
  }
}
