import { defineConfig } from "vitest/config";

// The program and its Lambda closures run on Node's own loader (tsx), not vite's module runner:
// Pulumi's closure serializer must find npm packages in require.cache to emit them as require(...)
// calls, exactly as `pulumi up` does (see ../shared/README.md, "Closures and vitest").
export default defineConfig({
  test: {
    include: ["tests/**/*.test.mts"],
    pool: "forks",
    execArgv: ["--import", "tsx"],
    experimental: { viteModuleRunner: false, nodeLoader: false },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
