// better-sqlite3-multiple-ciphers has the API of better-sqlite3; reuse its published types.
declare module 'better-sqlite3-multiple-ciphers' {
  import Database = require('better-sqlite3')
  export = Database
}
