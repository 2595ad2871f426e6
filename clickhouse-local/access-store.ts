/**
 * Users, settings profiles, quotas and grants created through SQL, kept in
 * one JSON file in the data directory. chDB has no writable access storage,
 * so this server keeps its own and enforces it (see access-*.ts).
 *
 * Every change writes a new file next to the old one, fsyncs it and renames it
 * over the old one, so a crash leaves either the old or the new state, never a
 * torn file. Passwords are kept as salted SHA-256 (ClickHouse's
 * `sha256_password` scheme), never in clear.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

const writability = z.enum(["CONST", "WRITABLE", "CHANGEABLE_IN_READONLY"]);
/** Values are SQL literals in the engine's canonical form (`10`, `'throw'`), so they can be sent back in `SET`. */
const profileSetting = z.object({
  name: z.string().min(1),
  value: z.string().optional(),
  min: z.string().optional(),
  max: z.string().optional(),
  writability: writability.optional(),
});
const profile = z.object({ name: z.string().min(1), settings: z.array(profileSetting) });
const grant = z.object({ database: z.string().min(1), table: z.string().min(1).optional() });
const passwordHash = z.object({ type: z.literal("sha256_password"), salt: z.string(), hash: z.string() });
const user = z.object({
  name: z.string().min(1),
  auth: passwordHash,
  defaultDatabase: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  grants: z.array(grant),
});
const quotaInterval = z.object({
  seconds: z.number().int().positive(),
  /** As written (`1 hour`), for messages. */
  label: z.string(),
  maxQueries: z.number().int().nonnegative().optional(),
  maxExecutionTime: z.number().nonnegative().optional(),
});
const quota = z.object({ name: z.string().min(1), intervals: z.array(quotaInterval).min(1), to: z.array(z.string().min(1)) });
const accessData = z.object({
  version: z.literal(1),
  users: z.array(user),
  profiles: z.array(profile),
  quotas: z.array(quota),
});

export type Writability = z.infer<typeof writability>;
export type ProfileSetting = z.infer<typeof profileSetting>;
export type Profile = z.infer<typeof profile>;
export type Grant = z.infer<typeof grant>;
export type User = z.infer<typeof user>;
export type QuotaInterval = z.infer<typeof quotaInterval>;
export type Quota = z.infer<typeof quota>;
export type AccessData = z.infer<typeof accessData>;

export const ACCESS_FILE = "clickhouse-local-access.json";

export function hashPassword(password: string): z.infer<typeof passwordHash> {
  const salt = randomBytes(16).toString("hex");
  return { type: "sha256_password", salt, hash: createHash("sha256").update(password + salt).digest("hex") };
}

export function passwordMatches(stored: z.infer<typeof passwordHash>, password: string): boolean {
  const got = createHash("sha256").update(password + stored.salt).digest();
  const want = Buffer.from(stored.hash, "hex");
  return got.length === want.length && timingSafeEqual(got, want);
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  const fd = openSync(tmp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // The rename itself must reach the disk too.
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export class AccessStore {
  #data: AccessData;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    data: AccessData,
  ) {
    this.#data = data;
  }

  /** Loads the store of a data directory (empty when the file does not exist yet). */
  static open(dataDir: string): AccessStore {
    const path = join(dataDir, ACCESS_FILE);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return new AccessStore(path, { version: 1, users: [], profiles: [], quotas: [] });
      throw e;
    }
    const parsed = accessData.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${path} is not a valid access file: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    return new AccessStore(path, parsed.data);
  }

  /** The current state. Treat as read-only: changes go through `update`. */
  get data(): AccessData {
    return this.#data;
  }

  user(name: string): User | undefined {
    return this.#data.users.find((u) => u.name === name);
  }

  profile(name: string): Profile | undefined {
    return this.#data.profiles.find((p) => p.name === name);
  }

  /** Quotas that apply to a user. */
  quotasOf(userName: string): Quota[] {
    return this.#data.quotas.filter((q) => q.to.includes(userName));
  }

  /**
   * Applies `change` to a copy of the state and persists it; changes run one at
   * a time, and the new state is visible only once it is on disk.
   */
  update<T>(change: (draft: AccessData) => T | Promise<T>): Promise<T> {
    const run = async () => {
      const draft = structuredClone(this.#data);
      const result = await change(draft);
      const valid = accessData.parse(draft);
      writeAtomically(this.path, `${JSON.stringify(valid, null, 2)}\n`);
      this.#data = valid;
      return result;
    };
    const next = this.#chain.then(run, run);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
