/**
 * @module s3-local/credentials
 * The local S3 server's key pair for `npm run dev`: made once, kept in
 * `<dir>/credentials.json` (mode 0600) so `.connection` files and their
 * secrets keep working across restarts.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

const Credentials = z.object({ accessKey: z.string().min(3), secretKey: z.string().min(8) });
export type S3Credentials = z.infer<typeof Credentials>;

export async function loadOrCreateCredentials(dir: string): Promise<S3Credentials> {
  const file = join(dir, "credentials.json");
  try {
    const parsed = Credentials.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (parsed.success) return parsed.data;
    throw new Error(`${file} is not a valid s3-local credentials file: delete it to make new credentials`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const credentials: S3Credentials = {
    accessKey: `tern-${randomBytes(6).toString("hex")}`,
    secretKey: randomBytes(24).toString("base64url"),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(file, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });
  return credentials;
}
