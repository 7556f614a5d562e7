import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources in tests (see each exports map).
  ssr: { resolve: { conditions: ['@nresty/source'] } },
  resolve: { conditions: ['@nresty/source'] },
  test: {
    // `npm test` measures coverage of the packages' sources and fails under these floors.
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      // Type-only modules and the export list hold no code to run.
      // worker-main.ts and cli.ts run in worker threads and child processes, where the
      // coverage of the test process does not reach; master.test.ts and cli.test.ts run them.
      exclude: [
        '**/*.test.ts', 'packages/*/src/index.ts', 'packages/core/src/ngx.ts',
        'packages/core/src/worker-main.ts', 'packages/core/src/cli.ts', 'packages/lua/src/resty.ts',
      ],
      reporter: ['text-summary'],
      thresholds: { lines: 90, statements: 90, functions: 85, branches: 85 },
    },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: ['packages/*/test/differential/**'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: { name: 'test-nginx', include: ['test-nginx/**/*.test.ts'], testTimeout: 60_000, passWithNoTests: true },
      },
      {
        // The same requests against nresty and the reference OpenResty: `npm run test:differential`
        // (needs the reference, `scripts/install-reference-openresty.sh`; CI installs it).
        extends: true,
        test: { name: 'differential', include: ['packages/*/test/differential/**/*.test.ts'], testTimeout: 60_000 },
      },
    ],
  },
})
