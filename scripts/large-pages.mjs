// Large column buffers (a 7M-event TickBatch is ~430 MB) are touched for the first time right
// after allocation. On virtual machines each 4 KiB first-touch page fault is expensive: filling a
// fresh 432 MB array measured 2.5 s with 4 KiB pages and 0.12 s with 2 MiB transparent huge pages.
// Linux in its common "madvise" THP mode only gives huge pages to memory that asks for them, and
// glibc asks for its mmap'd allocations when this tunable is set. It must be in the environment
// when the process starts, so it is set for child processes (benchmarks, the notebook kernel via
// kernels/strategy-lab/kernel.json). Other platforms ignore it.
// With huge pages on, glibc's per-thread malloc arenas hurt worker threads (optimizer trials): a
// worker's engine buffers came from its own arena, faulted in again trial after trial (~4,800
// page faults per trial against ~800 with one arena) and its trials ran 10-15 % slower than
// without the tunable. One arena (`arena_max=1`) keeps them in the main heap, where freed memory
// is reused: trials as fast as without huge pages, loads as fast as with them.
export const LARGE_PAGE_TUNABLES = ["glibc.malloc.hugetlb=1", "glibc.malloc.arena_max=1"];

/** `env` with the glibc tunables above added (each one kept as is when the user set it already). */
export function largePageEnv(env) {
  const current = env.GLIBC_TUNABLES ?? "";
  const missing = LARGE_PAGE_TUNABLES.filter((t) => !current.includes(t.split("=")[0]));
  if (missing.length === 0) return { ...env };
  return { ...env, GLIBC_TUNABLES: [current, ...missing].filter(Boolean).join(":") };
}
