// Generates src/api/schema.ts from topichub's OpenAPI document, or checks that it is current.
//   node scripts/api.mjs [<openapi.json>]           write src/api/schema.ts
//   node scripts/api.mjs [<openapi.json>] --check   exit 1 when src/api/schema.ts is stale
// Without a file the document is asked of the repository's own server code
// (`../.venv/bin/topichub openapi`; `make install` creates it): `npm run gen:api` and
// `npm run check:api` do that, `make console-api` and `make console-check` pass a file.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const HEADER =
  "// Generated from topichub's /openapi.json by `make console-api`. Do not edit by hand.\n\n";
const target = fileURLToPath(new URL("../src/api/schema.ts", import.meta.url));

const args = process.argv.slice(2);
const flag = args.find((a) => a.startsWith("--"));
const specPath = args.find((a) => !a.startsWith("--"));
if (args.length > 2 || (flag !== undefined && flag !== "--check")) {
  console.error("usage: node scripts/api.mjs [<openapi.json>] [--check]");
  process.exit(2);
}

function serverDocument() {
  const topichub = fileURLToPath(new URL("../../.venv/bin/topichub", import.meta.url));
  if (!existsSync(topichub)) {
    console.error(`${topichub} is missing: run \`make install\` at the repository root first.`);
    process.exit(2);
  }
  return execFileSync(topichub, ["openapi"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

const spec = JSON.parse(specPath ? await readFile(specPath, "utf8") : serverDocument());
const generated = HEADER + astToString(await openapiTS(spec, { alphabetize: true }));

if (flag === "--check") {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== generated) {
    console.error(
      "console/src/api/schema.ts is stale: the API changed since the client was generated.\n" +
        "Run `make console-api` and commit the result.",
    );
    process.exit(1);
  }
  console.log("console API client is current");
} else {
  await writeFile(target, generated);
  console.log(`wrote ${target}`);
}
