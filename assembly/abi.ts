// The single source of the numbers TypeScript and the kernels share: enum values and the slot
// layouts of the blocks TypeScript allocates and the kernels read or write. The kernels use these
// enums directly; assembly/index.ts exports them, so each member is also a global of the module
// (e.g. `PoolSlot.Threads`), from which scripts/gen-abi.mjs writes src/core/abi.gen.ts (the TypeScript
// side: never typed twice) and test/abi.test.ts checks the loaded module against it.
// Slots count elements of the block's type (i32, u32 or f64), not bytes.

/** Which skeleton edges an EC layer has: every designated in-edge (k indexes heads) or out-edge (k indexes tails). */
export enum Skeleton {
  In = 0,
  Out = 1,
}

/** Which skeleton edges of an EC layer are frozen (never change). */
export enum Frozen {
  None = 0,
  All = 1,
  /** Frozen iff the edge is the designated in-edge of its head. */
  DesignatedIn = 2,
}

/** The update rule an EC optimizer runs in path space (ECHyper.Kind). */
export enum Rule {
  SGD = 0,
  Momentum = 1,
  Adam = 2,
}

/**
 * The EC hyperparameter block (f64 slots): TypeScript writes Kind..WD each step, ec_hyper_prepare
 * completes BC1 = 1 - b1^t and ISBC2 = 1 / sqrt(1 - b2^t). Count: the slots TypeScript allocates.
 */
export enum ECHyper {
  Kind = 0,
  Mu = 1,
  Nesterov = 2,
  B1 = 3,
  B2 = 4,
  Eps = 5,
  WD = 6,
  BC1 = 7,
  ISBC2 = 8,
  Count = 16,
}

/** lr_schedule kinds: Step lr0 a^floor(t/b), Exponential lr0 exp(-a t), Cosine a + (lr0 - a)(1 + cos(pi t/T))/2. */
export enum Schedule {
  Step = 0,
  Exponential = 1,
  Cosine = 2,
}

/**
 * The thread pool block (i32 slots, Count of them, owned by TypeScript; assembly/threads.ts).
 * TypeScript writes Threads, Scratch and ScratchBytes before pool_attach and reads Gen, Pending,
 * Scratch, ScratchBytes, Exit and Fault to stop the pool and to report a worker's trap.
 */
export enum PoolSlot {
  /** Job generation: workers wake when it changes. */
  Gen = 0,
  /** Shares of the current job not done yet (the caller's join waits for 0). */
  Pending = 1,
  /** Job kind (GEMM kind, or a Job of assembly/threads.ts). */
  Kind = 2,
  /**
   * Seven job arguments. GEMM: c a b M N K accumulate; conv: out in w bias B desc scratch; EC rows:
   * the ECLayerDesc (Arg0), rows (Arg4).
   */
  Arg0 = 3,
  Arg1 = 4,
  Arg2 = 5,
  Arg3 = 6,
  Arg4 = 7,
  Arg5 = 8,
  Arg6 = 9,
  /** Threads of the pool, the caller's included. */
  Threads = 10,
  /** Scratch base of worker 1 (worker tid's is Scratch + (tid - 1) * ScratchBytes). */
  Scratch = 11,
  ScratchBytes = 12,
  /** Exit flag: workers return from worker_run when it is set. */
  Exit = 13,
  /** Per-thread scratch stride of a conv job. */
  Share = 14,
  /** 0, or tid + 1 of the first worker whose job trapped (stored by src/pool-worker.js). */
  Fault = 15,
  /** Elementwise job: op, n, four pointers, six f32 (F0-F5), two i32. */
  ElemOp = 16,
  ElemN = 17,
  ElemPtr0 = 18,
  ElemPtr1 = 19,
  ElemPtr2 = 20,
  ElemPtr3 = 21,
  ElemF0 = 22,
  ElemF1 = 23,
  ElemF2 = 24,
  ElemF3 = 25,
  ElemF4 = 26,
  ElemA = 27,
  ElemB = 28,
  ElemF5 = 29,
  /** Shares of the current job (any thread claims them, one at a time, through Claim). */
  Shares = 30,
  /** 1 while the caller (thread 0) runs a share: after a trap there, that share never completes. */
  CallerShare = 31,
  /** One i32 result per thread (first_nonfinite), up to 32 threads. */
  Results = 32,
  /**
   * Range job (assembly/threads.ts parallel_range): the op, the units [0, RangeN) to split, the
   * alignment of the split points, then up to 14 arguments (i32, or f32 bits).
   */
  RangeOp = 64,
  RangeN = 65,
  RangeAlign = 66,
  RangeArg0 = 67,
  /**
   * The claim word of the current job, an i64 over slots 82-83 (8-byte aligned): its generation
   * (high 32 bits), its share count (bits 16-31) and the next unclaimed share (bits 0-15). A thread
   * claims a share by compare-exchange, so a late worker can never take a share of a later job.
   */
  Claim = 82,
  Count = 96,
}

/** The Conv2D shape descriptor (i32 slots) conv2d_desc writes; K = C*KH*KW, P = Ho*Wo, Direct: 1x1 stride 1 without padding. */
export enum ConvDesc {
  C = 0,
  H = 1,
  W = 2,
  O = 3,
  KH = 4,
  KW = 5,
  SH = 6,
  SW = 7,
  PadTop = 8,
  PadLeft = 9,
  DilH = 10,
  DilW = 11,
  Ho = 12,
  Wo = 13,
  K = 14,
  P = 15,
  Direct = 16,
  Count = 17,
}

/**
 * The EC layer descriptor (u32 slots; pointers are byte offsets, 0 = none): one per weight tensor
 * and one per bias vector of an EC optimizer, written once when the optimizer is created
 * (ec_layer_desc: W..Sums; ec_layer_units: Beta..RowNorms). The EC kernels take it instead of
 * argument lists; the bulk passes also write its job slots (Hyper..LRK) on each call, which the
 * pool's row job reads. Tail-unit vectors (Beta, IBeta, IRB, ColS) have I entries, head-unit ones
 * (Phi, IPhi, IRP, RowS) O entries.
 */
export enum ECLayerDesc {
  /** The tensor w (O, I, T), its gradient, its mask (1 bulk edge, 0 skeleton edge). */
  W = 0,
  DW = 1,
  Mask = 2,
  /** Optimizer state at w's offset (0 = none) and Adam's step kept between the passes. */
  S1 = 3,
  S2 = 4,
  SB = 5,
  /** Head units, tail units, taps per edge, the designated tap. */
  O = 6,
  I = 7,
  T = 8,
  Dtap = 9,
  /** Skeleton mode and Frozen rule of the layer's skeleton edges. */
  Mode = 10,
  Rule = 11,
  /** 1: pass 1 also makes the inverse chain rule sums (RowS, ColS). */
  Sums = 12,
  /** beta and 1/beta of the tail units, phi and 1/phi of the heads; 1/rb (tails), 1/rp (heads). */
  Beta = 13,
  IBeta = 14,
  Phi = 15,
  IPhi = 16,
  IRB = 17,
  IRP = 18,
  /** The inverse chain rule sums: per head (RowS), per tail (ColS). */
  RowS = 19,
  ColS = 20,
  /** Scratch of 2*O f64: each row's norm terms, summed in row order. */
  RowNorms = 21,
  /** Job slots: the hyperparameter block, the pass (1 or 2), sums fused into pass 1's rows, lrk (f32). */
  Hyper = 22,
  Pass = 23,
  Fused = 24,
  LRK = 25,
  /** Graph passes (assembly/ec_graph.ts): s of the heads' basis paths (f32, O), the heads' sums of v^2 (f64, O, accumulated). */
  S = 26,
  V2 = 27,
  Count = 28,
}

/**
 * The whole-graph EC block (u32 slots; pointers are byte offsets, 0 = none), written once by an EC
 * optimizer in mode 'graph' (assembly/ec_graph.ts, shared/docs/ec-opt-graphs.md). Float indices
 * (i32 arrays: FwdOff, FsOff, TOff, CT) count floats from ParamBase; -1 = none. Units are numbered
 * in topological order. Per unit (U): Phi, IPhi, SU (s of the basis paths through the unit's
 * in-edges), Rho, IRho (ratio of the first free edge of its fwd chain), Sum (inverse chain rule sums),
 * RowG (bulk sums of w dL/dw), RowV2 (f64 sums of v^2), FwdOff, FwdHead, FwdFs (first fwd edge, the
 * unit at its head, its free-skeleton index), EndBn (the BN-read class where its fwd chain ends),
 * BnOf (its own BN-read class); per BN-read class (NBn): N2 (f64). Per free skeleton edge (F,
 * sorted by head; FsStart has U + 1 entries): FsOff, FsHead, FsTail (class of its tail), Acc, SkU,
 * SkV, SkS, SkR, SkW. Per gauge class (NC, in root order): BetaC, CT (T edge), CTail (class of the
 * T edge's tail, -1: a source). Per T edge (NT): TOff, TW.
 */
export enum ECGraphDesc {
  ParamBase = 0,
  GradBase = 1,
  S1 = 2,
  S2 = 3,
  U = 4,
  Phi = 5,
  IPhi = 6,
  SU = 7,
  Rho = 8,
  IRho = 9,
  Sum = 10,
  RowG = 11,
  RowV2 = 12,
  FwdOff = 13,
  FwdHead = 14,
  FwdFs = 15,
  EndBn = 16,
  BnOf = 17,
  NBn = 18,
  N2 = 19,
  F = 20,
  FsOff = 21,
  FsHead = 22,
  FsTail = 23,
  FsStart = 24,
  Acc = 25,
  SkU = 26,
  SkV = 27,
  SkS = 28,
  SkR = 29,
  SkW = 30,
  NC = 31,
  BetaC = 32,
  CT = 33,
  CTail = 34,
  NT = 35,
  TOff = 36,
  TW = 37,
  Count = 38,
}
