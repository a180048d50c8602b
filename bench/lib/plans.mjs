// Repetition counts of each case. Every timed figure gets an untimed warm-up first. The counts
// are sized so that the full plan takes under 5 minutes and the quick one under 1 minute on a
// two-core machine. A machine where runs are slower takes longer by the same factor.
export const PLANS = {
  quick: {
    floor: { warmup: 5, repetitions: 30 },
    breakdown: { warmup: 2, repetitions: 10 },
    example: { warmup: 3, repetitions: 15 },
    steps: { warmup: 2, repetitions: 8 },
    secrets: { warmup: 2, repetitions: 8 },
    uploads: { warmup: 1, repetitions: 5 },
    throughput: { levels: [1, 8, 32], packages: 8, totalRuns: { 1: 10, 8: 32, 32: 64 } },
    classic: { warmup: 2, repetitions: 10 },
  },
  full: {
    floor: { warmup: 20, repetitions: 200 },
    breakdown: { warmup: 5, repetitions: 40 },
    example: { warmup: 10, repetitions: 150 },
    steps: { warmup: 5, repetitions: 60 },
    secrets: { warmup: 5, repetitions: 40 },
    uploads: { warmup: 3, repetitions: 40 },
    throughput: { levels: [1, 8, 32], packages: 16, totalRuns: { 1: 80, 8: 320, 32: 640 } },
    classic: { warmup: 5, repetitions: 100 },
  },
};
