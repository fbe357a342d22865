import flat from 'flat-tree'
import crypto from 'hypercore-crypto'

export interface MerkleNode {
  index: number
  size: number
  hash: Uint8Array
}

/** The Merkle leaf of a stored (encrypted) block, as Hypercore hashes it. */
export function leafOf(index: number, storedBlock: Uint8Array): MerkleNode {
  return { index: 2 * index, size: storedBlock.byteLength, hash: crypto.data(storedBlock) }
}

/**
 * Folds leaves, in order, into Hypercore's Merkle roots and tree hash, keeping only
 * O(log n) nodes. Lets audit recompute the signed tree from the blocks themselves
 * (and the leaves that tombstones kept for cleared blocks) without trusting any
 * tree node in storage.
 */
export class MerkleFold {
  private readonly stack: MerkleNode[] = []
  count = 0

  push(leaf: MerkleNode): void {
    if (leaf.index !== 2 * this.count) throw new Error(`leaf ${leaf.index / 2} out of order (expected ${this.count})`)
    this.count++
    let node = leaf
    while (this.stack.length > 0) {
      const top = this.stack[this.stack.length - 1] as MerkleNode
      if (top.index !== flat.sibling(node.index)) break
      this.stack.pop()
      node = { index: flat.parent(node.index), size: top.size + node.size, hash: crypto.parent(top, node) }
    }
    this.stack.push(node)
  }

  roots(): MerkleNode[] {
    return [...this.stack]
  }

  treeHash(): Uint8Array {
    return crypto.tree(this.stack)
  }
}
