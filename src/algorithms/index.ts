/**
 * Pure algorithms (`distsim/algorithms`): building blocks a model's entities use inside their
 * handlers, with no entity, no event and no randomness of their own, so they move no trace
 * hash and run the same in a browser. docs/algorithms/algorithms.md describes them.
 */

export {
  BloomFilter,
  type BloomFilterOptions,
  type BloomFilterSizes,
  type BloomFilterTarget,
  optimalBloomSizes,
} from "./bloomFilter.js";
// CRDTs and conflict resolvers (docs/algorithms/crdt.md).
export * from "./crdt/index.js";
export {
  type MerkleDiff,
  type MerkleRange,
  MerkleTree,
  type MerkleTreeOptions,
  merkleToken,
} from "./merkleTree.js";
export {
  PhiAccrualDetector,
  type PhiAccrualDetectorOptions,
  type PhiEstimate,
} from "./phiAccrualDetector.js";
