import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CONSOLE_DIR = fileURLToPath(new URL("../dist", import.meta.url));
/** Screenshots and the server log, kept after the run (CI artifacts). */
export const ARTIFACTS = fileURLToPath(new URL("./artifacts", import.meta.url));
/** The platform admin the e2e server bootstraps (TOPICHUB_ADMIN_EMAIL/PASSWORD). */
export const ADMIN = { email: "admin@e2e.example.com", password: "e2e-admin-Password-1" };
