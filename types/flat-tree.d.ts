// Honest declarations for the parts of flat-tree this project uses.
declare module 'flat-tree' {
  export function parent(index: number): number
  export function sibling(index: number): number
}
