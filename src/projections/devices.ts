import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * The person's other devices, as the journal names them (`device.paired`,
 * `device.removed`): whose logs this device opens and replicates with (docs/devices.md).
 */
export const devicesProjection: Projection = {
  name: 'devices',
  version: 1,
  tables: ['devices'],
  schema: `
    CREATE TABLE devices (
      device INTEGER PRIMARY KEY, name TEXT NOT NULL, paired_seq INTEGER NOT NULL, paired_by INTEGER NOT NULL,
      time INTEGER NOT NULL, removed_seq INTEGER
    );
  `,
  bind(db: Database) {
    const paired = db.prepare(
      'INSERT INTO devices (device, name, paired_seq, paired_by, time) VALUES (?, ?, ?, ?, ?) ON CONFLICT (device) DO NOTHING'
    )
    const removed = db.prepare('UPDATE devices SET removed_seq = ? WHERE device = ? AND removed_seq IS NULL')
    // Device 0 has no pairing event: its row appears when it is removed.
    const first = db.prepare(
      "INSERT INTO devices (device, name, paired_seq, paired_by, time) VALUES (0, 'first device', 0, 0, 0) ON CONFLICT (device) DO NOTHING"
    )
    return (event: ProjectedEvent) => {
      if (event.redacted) return
      if (event.type === 'device.paired') {
        paired.run(event.body.device, event.body.name, event.seq, event.device, event.time)
      } else if (event.type === 'device.removed') {
        if (event.body.device === 0) first.run()
        removed.run(event.seq, event.body.device)
      }
    }
  }
}
