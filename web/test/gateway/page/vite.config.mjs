// Builds the gateway test page (index.html + main.ts) into
// web/test/gateway/static/, the directory the E2E launcher copies as the
// gateway's --static_dir. Relative asset URLs ('./') so the page works from
// any mount point.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  logLevel: "warn",
  build: {
    outDir: here("../static"),
    emptyOutDir: true,
    // The page runs in Debian's Chromium only; no legacy transforms.
    target: "es2022",
  },
});
