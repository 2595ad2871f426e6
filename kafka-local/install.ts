/**
 * Installs the Apache Kafka broker's jars from Maven Central into the repo's
 * git-ignored cache (`.tern/cache/kafka-<version>/libs`), once per machine,
 * with Maven (`mvn dependency:copy-dependencies` on a pom written here). The
 * install is built in a folder beside its final place and renamed into place,
 * so an interrupted one leaves nothing half-built.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The broker's version (org.apache.kafka:kafka_2.13 on Maven Central). */
export const KAFKA_VERSION = "4.4.0";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the jars of `version` live once installed. */
export function kafkaHome(version = KAFKA_VERSION, cacheDir = join(REPO_ROOT, ".tern", "cache")): string {
  return join(cacheDir, `kafka-${version}`);
}

function pom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tern.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/**
 * The folder of the installed jars (`<home>/libs`), installing them first when
 * missing. Needs `java` (17+) and `mvn` on the PATH, and Maven Central on the first run.
 */
export async function installKafka(opts: { version?: string; cacheDir?: string } = {}): Promise<string> {
  const version = opts.version ?? KAFKA_VERSION;
  const home = kafkaHome(version, opts.cacheDir);
  const libs = join(home, "libs");
  if (existsSync(join(libs, `kafka_2.13-${version}.jar`))) return libs;
  const building = `${home}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  try {
    await writeFile(join(building, "pom.xml"), pom(version));
    await run(
      "mvn",
      ["-q", "-B", "-f", join(building, "pom.xml"), "dependency:copy-dependencies", `-DoutputDirectory=${join(building, "libs")}`, "-DincludeScope=runtime"],
      { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 },
    ).catch((e: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`kafka-local: installing Kafka ${version} from Maven Central failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    });
    const jars = await readdir(join(building, "libs"));
    if (!jars.includes(`kafka_2.13-${version}.jar`)) throw new Error(`kafka-local: Maven did not bring kafka_2.13-${version}.jar`);
    await mkdir(dirname(home), { recursive: true });
    try {
      await rename(building, home);
    } catch (e) {
      // Another process finished the same install first: keep its copy.
      if (!existsSync(join(libs, `kafka_2.13-${version}.jar`))) throw e;
    }
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return libs;
}
