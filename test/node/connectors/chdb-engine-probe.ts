/**
 * Runs statements on a chDB engine of its own (this process), optionally
 * started with a server config file, then waits until a query answers the
 * expected value. Used by engines.test.ts to see what the embedded engine does
 * with S3Queue, which needs a Keeper configuration. argv[2] is JSON:
 * { dataDir, args: string[], statements: string[], waitQuery?, waitFor?, waitMs?, finalQueries?: string[] }.
 * Prints one JSON line: { results: [{ ok, text }], waited?, final: string[] }.
 */
import { createRequire } from "node:module";

interface Native {
  CreateConnection(path: string, args?: readonly string[]): object;
  QueryAsyncConnection(conn: object, sql: string, format: string): Promise<{ bytes: Uint8Array }>;
}
const input = JSON.parse(process.argv[2] ?? "{}") as {
  dataDir: string; args: string[]; statements: string[]; waitQuery?: string; waitFor?: string; waitMs?: number; finalQueries?: string[];
};
const fromChdb = createRequire(createRequire(import.meta.url).resolve("chdb/package.json"));
const native = fromChdb("@chdb/lib-linux-x64-gnu") as Native;
const conn = input.args.length > 0 ? native.CreateConnection(input.dataDir, input.args) : native.CreateConnection(input.dataDir);
const q = async (sql: string) => Buffer.from((await native.QueryAsyncConnection(conn, sql, "TSV")).bytes).toString().trim();
const results: Array<{ ok: boolean; text: string }> = [];
for (const s of input.statements) {
  try {
    results.push({ ok: true, text: await q(s) });
  } catch (e) {
    results.push({ ok: false, text: String(e) });
  }
}
let waited: string | undefined;
if (input.waitQuery) {
  const deadline = Date.now() + (input.waitMs ?? 30_000);
  for (;;) {
    try {
      waited = await q(input.waitQuery);
    } catch (e) {
      waited = String(e);
    }
    if (waited === input.waitFor || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
}
const final: string[] = [];
for (const s of input.finalQueries ?? []) {
  try {
    final.push(await q(s));
  } catch (e) {
    final.push(String(e));
  }
}
process.stdout.write(JSON.stringify({ results, waited, final }) + "\n");
process.exit(0);
