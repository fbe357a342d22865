import type { Statement } from 'better-sqlite3-multiple-ciphers'
import type { Database } from './projection.js'

/**
 * Prepared statements of the read queries, kept per database. Preparing parses and plans
 * the SQL each time (measured: about an eighth of an uncached timeline request); a
 * statement prepared once is reused until its database is closed and collected. SQLite
 * prepares a statement again by itself when the schema changed under it (a rebuild
 * drops and creates the tables). Queries whose SQL depends on their input (filters, an
 * IN list per page size) make a few more; the least recently used go past a bound.
 * Only for `get` and `all`: a statement being iterated cannot run again until done.
 */
const MAX_PER_DATABASE = 256
const cache = new WeakMap<Database, Map<string, Statement>>()

export function prepared<Params extends unknown[] = unknown[], Row = unknown>(
  db: Database,
  sql: string
): Statement<Params, Row> {
  return cached(db, sql, false) as Statement<Params, Row>
}

/**
 * The same, giving each row as an array of its columns in the order selected: no object
 * with a property per column is built for a row that is turned into another one anyway.
 */
export function preparedRaw<Params extends unknown[] = unknown[], Row extends unknown[] = unknown[]>(
  db: Database,
  sql: string
): Statement<Params, Row> {
  return cached(db, sql, true) as Statement<Params, Row>
}

function cached(db: Database, sql: string, raw: boolean): Statement {
  let statements = cache.get(db)
  if (!statements) {
    statements = new Map()
    cache.set(db, statements)
  }
  const key = raw ? `raw\0${sql}` : sql
  let statement = statements.get(key)
  if (statement) {
    // Most recently used last: a Map iterates in insertion order.
    statements.delete(key)
  } else {
    statement = db.prepare(sql)
    if (raw) statement.raw(true)
    if (statements.size >= MAX_PER_DATABASE) statements.delete(statements.keys().next().value as string)
  }
  statements.set(key, statement)
  return statement
}

const reads = new WeakMap<Database, (read: () => unknown) => unknown>()

/**
 * Runs `read` in one transaction: its statements see one state of the read model (a page
 * and its mirrorbacks from the same commit) and share one read lock, where each statement
 * on its own would begin and end a transaction of its own. Inside another transaction it
 * is a savepoint of that one.
 */
export function inOneRead<T>(db: Database, read: () => T): T {
  let run = reads.get(db)
  if (!run) {
    run = db.transaction((work: () => unknown) => work())
    reads.set(db, run)
  }
  return run(read) as T
}
