// Starts Ferris Edge locally: creates .dev.vars on first start, builds the site when it is
// missing, applies the D1 migrations to the local database and serves everything with
// `wrangler dev` at http://localhost:8787 (PORT picks another port).
import { spawnSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
// No telemetry, and no download of Request.cf data: the local server needs nothing from
// outside the machine.
const environment = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit", env: environment });
  if (result.status !== 0) {
    console.error(`ferris-edge: \`${command} ${args.join(" ")}\` failed with exit code ${result.status}.`);
    process.exit(result.status ?? 1);
  }
}

if (!existsSync(".dev.vars")) {
  const platformKey = randomBytes(32).toString("base64");
  const adminToken = `fe_admin_${randomBytes(24).toString("base64url")}`;
  writeFileSync(".dev.vars", `PLATFORM_KEY=${platformKey}\nADMIN_TOKEN=${adminToken}\n`, { mode: 0o600 });
  console.log("ferris-edge: created .dev.vars with a random platform key and admin token.");
  console.log(`ferris-edge: admin token, shown only now (it stays in .dev.vars): ${adminToken}`);
  console.log(
    `ferris-edge: use it as  curl -H "Authorization: Bearer $(grep ADMIN_TOKEN .dev.vars | cut -d= -f2)" http://localhost:${port}/api/projects`,
  );
}

if (!existsSync("site/dist/index.html") || process.env.FERRIS_REBUILD_SITE === "1") {
  run("npm", ["run", "build"]);
}

run("wrangler", ["d1", "migrations", "apply", "DB", "--local"]);

const dev = spawn("wrangler", ["dev", "--port", port, ...process.argv.slice(2)], { stdio: "inherit", env: environment });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
