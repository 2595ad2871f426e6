/**
 * Installs a Confluent-compatible schema registry for Avro datasources:
 * Apicurio Registry (`io.apicurio:apicurio-registry-app`, pinned
 * `REGISTRY_VERSION`) built from Maven Central into the repo's git-ignored cache
 * (`.tern/cache/apicurio-registry-<version>/`), once per machine, with Maven on
 * the machine's Java 17.
 *
 * Why this build and not the published app: the app is a Quarkus application
 * whose jar on Maven Central is not runnable as it is (Quarkus augments an
 * application at build time), so a small Maven project here depends on it and
 * runs Quarkus' `build` goal, which writes a runnable jar and its `lib/`. Two
 * things of Apicurio's own build are not on Maven Central and are replaced:
 * the JSON Schema validator `org.everit.json.schema` (left out: only JSON
 * Schema artifacts need it, Avro does not), and the build-time half of its
 * dynamic-configuration extension (left out; `ConfigList.java` below gives the
 * bean it would have made, an empty list, so no setting is editable at run
 * time). Newer Apicurio releases (2.6, 3.x) need more artifacts that Maven
 * Central does not serve, or Java 21.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const REGISTRY_VERSION = "2.4.2.Final";
/** The Quarkus version Apicurio Registry 2.4.2.Final is built on. */
const QUARKUS_VERSION = "2.16.4.Final";
const RUNNER = "schema-registry-1-runner.jar";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function registryHome(version = REGISTRY_VERSION, cacheDir = join(REPO_ROOT, ".tern", "cache")): string {
  return join(cacheDir, `apicurio-registry-${version}`);
}

function pom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tern.local</groupId>
  <artifactId>schema-registry</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.source>11</maven.compiler.source>
    <maven.compiler.target>11</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>io.quarkus</groupId><artifactId>quarkus-bom</artifactId><version>${QUARKUS_VERSION}</version><type>pom</type><scope>import</scope></dependency>
      <dependency><groupId>io.apicurio</groupId><artifactId>apicurio-registry</artifactId><version>${version}</version><type>pom</type><scope>import</scope></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.apicurio</groupId>
      <artifactId>apicurio-registry-app</artifactId>
      <version>${version}</version>
      <exclusions>
        <exclusion><groupId>com.github.everit-org.json-schema</groupId><artifactId>org.everit.json.schema</artifactId></exclusion>
        <exclusion><groupId>io.apicurio</groupId><artifactId>apicurio-common-app-components-config-index</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <!-- The app's own settings (storage, APIs) are in its jar's application.properties; Quarkus reads the application's. -->
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.6.1</version>
        <executions>
          <execution>
            <phase>generate-resources</phase>
            <goals><goal>unpack</goal></goals>
            <configuration>
              <artifactItems>
                <artifactItem>
                  <groupId>io.apicurio</groupId><artifactId>apicurio-registry-app</artifactId><version>${version}</version>
                  <includes>application.properties</includes>
                  <outputDirectory>\${project.build.outputDirectory}</outputDirectory>
                </artifactItem>
              </artifactItems>
            </configuration>
          </execution>
        </executions>
      </plugin>
      <plugin>
        <groupId>io.quarkus</groupId>
        <artifactId>quarkus-maven-plugin</artifactId>
        <version>${QUARKUS_VERSION}</version>
        <executions><execution><goals><goal>build</goal></goals></execution></executions>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

const CONFIG_LIST = `package tern.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/** The registry's index of run-time editable settings, empty: the build step that fills it is not on Maven Central. */
@ApplicationScoped
public class ConfigList {
  @Produces
  @ApplicationScoped
  DynamicConfigPropertyList list() {
    return new DynamicConfigPropertyList(List.of());
  }
}
`;

/** Quarkus discovers the app's beans only in jars it indexes: the app's jar has no index of its own. */
const MICROPROFILE_CONFIG = `quarkus.index-dependency.registryapp.group-id=io.apicurio
quarkus.index-dependency.registryapp.artifact-id=apicurio-registry-app
`;

/**
 * Only Maven Central: the app's parent POM names other repositories that are
 * not needed (and not reachable everywhere). Every repository but `central` is
 * mirrored by a blocked mirror, so Maven never contacts them (its URL is a
 * placeholder Maven requires and never uses); Central keeps Maven's own URL.
 */
const SETTINGS = `<settings><mirrors><mirror><id>central-only</id><mirrorOf>*,!central</mirrorOf><url>http://0.0.0.0/blocked</url><blocked>true</blocked></mirror></mirrors></settings>
`;

/**
 * The runnable jar (its `lib/` beside it), building it first when missing.
 * Needs `java` (17+) and `mvn`, and Maven Central on the first run.
 */
export async function installSchemaRegistry(opts: { version?: string; cacheDir?: string } = {}): Promise<string> {
  const version = opts.version ?? REGISTRY_VERSION;
  const home = registryHome(version, opts.cacheDir);
  const jar = join(home, RUNNER);
  if (existsSync(jar)) return jar;
  const building = `${home}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(join(building, "src", "main", "java", "tern", "registry"), { recursive: true });
  await mkdir(join(building, "src", "main", "resources", "META-INF"), { recursive: true });
  try {
    await writeFile(join(building, "pom.xml"), pom(version));
    await writeFile(join(building, "settings.xml"), SETTINGS);
    await writeFile(join(building, "src", "main", "java", "tern", "registry", "ConfigList.java"), CONFIG_LIST);
    await writeFile(join(building, "src", "main", "resources", "META-INF", "microprofile-config.properties"), MICROPROFILE_CONFIG);
    await run("mvn", ["-q", "-B", "-s", join(building, "settings.xml"), "-f", join(building, "pom.xml"), "package", "-DskipTests"], {
      maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000,
    }).catch((e: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`kafka-local: building the schema registry (Apicurio Registry ${version}) from Maven Central failed: ${e.message}\n${(e.stdout ?? "").slice(-4000)}${(e.stderr ?? "").slice(-4000)}`);
    });
    const target = join(building, "target");
    if (!(await readdir(target)).includes(RUNNER)) throw new Error(`kafka-local: Quarkus did not write ${RUNNER}`);
    await mkdir(dirname(home), { recursive: true });
    try {
      await rename(target, home);
    } catch (e) {
      // Another process finished the same install first: keep its copy.
      if (!existsSync(jar)) throw e;
    }
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return jar;
}
