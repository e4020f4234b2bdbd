// Builds the web UI (index.html + src/) into web/app/dist/, the directory
// the gateway serves with --static_dir. Relative asset URLs ('./') so the
// app works from any mount point.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  // Caches (Vite, Vitest) in web/node_modules, not next to the sources.
  cacheDir: here("../node_modules/.vite-app"),
  logLevel: "warn",
  build: {
    outDir: here("dist"),
    emptyOutDir: true,
    target: "es2022",
  },
  test: {
    root: here("."),
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
