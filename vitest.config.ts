import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources in tests (see each exports map).
  ssr: { resolve: { conditions: ['@nresty/source'] } },
  resolve: { conditions: ['@nresty/source'] },
  test: {
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
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: { name: 'test-nginx', include: ['test-nginx/**/*.test.ts'], testTimeout: 60_000 },
      },
    ],
  },
})
