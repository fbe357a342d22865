// Honest declarations for the Merkle helpers of hypercore-crypto this project uses.
declare module 'hypercore-crypto' {
  interface TreeNode {
    index: number
    size: number
    hash: Uint8Array
  }
  /** Leaf hash of a stored block (BLAKE2b with hypercore's leaf type and the block size). */
  export function data(block: Uint8Array): Uint8Array
  /** Parent hash of two sibling nodes. */
  export function parent(a: TreeNode, b: TreeNode): Uint8Array
  /** The discovery key of a core key (a keyed BLAKE2b hash: it reveals nothing of the key). */
  export function discoveryKey(publicKey: Uint8Array): Uint8Array
  /** The tree hash over the roots (what a Hypercore signs). */
  export function tree(roots: TreeNode[]): Uint8Array
}
