// Large column buffers (a 7M-event TickBatch is ~430 MB) are touched for the first time right
// after allocation. On virtual machines each 4 KiB first-touch page fault is expensive: filling a
// fresh 432 MB array measured 2.5 s with 4 KiB pages and 0.12 s with 2 MiB transparent huge pages.
// Linux in its common "madvise" THP mode only gives huge pages to memory that asks for them, and
// glibc asks for its mmap'd allocations when this tunable is set. It must be in the environment
// when the process starts, so it is set for child processes (benchmarks, the notebook kernel via
// kernels/strategy-lab/kernel.json). Other platforms ignore it.
export const LARGE_PAGE_TUNABLE = "glibc.malloc.hugetlb=1";

/** `env` with the glibc huge-page tunable added (kept as is when the user set one already). */
export function largePageEnv(env) {
  const current = env.GLIBC_TUNABLES;
  if (current && current.includes("glibc.malloc.hugetlb")) return { ...env };
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${LARGE_PAGE_TUNABLE}` : LARGE_PAGE_TUNABLE };
}
