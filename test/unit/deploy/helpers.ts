// Building projects and plans for the deploy tests, and a plan written out as
// plain JSON (functions called, shared objects named) so two plans can be
// compared byte for byte.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseDatafile } from "../../../shared/datafiles/index.js";
import type { Project } from "../../../shared/deploy/project.js";
import { planDeployment, type Plan } from "../../../shared/deploy/plan.js";
import type { DeploymentManifest } from "../../../shared/deploy/manifest.js";

export const DATABASE = "ws_golden";

const FIXTURES = join(import.meta.dirname, "../../fixtures/projects");

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The fixture projects by name: the datafiles a deploy uploads, as the Worker's fixture test uploads them. */
export function fixtureProjects(): Map<string, Record<string, string>> {
  const projects = new Map<string, Record<string, string>>();
  for (const path of walk(FIXTURES).filter((f) => /\.(datasource|pipe|connection|incl)$/.test(f))) {
    const [project, ...rest] = relative(FIXTURES, path).split("/");
    const files = projects.get(project!) ?? {};
    files[rest.join("/")] = readFileSync(path, "utf8");
    projects.set(project!, files);
  }
  return projects;
}

const baseName = (path: string) => path.split("/").pop()!;

/**
 * The project the planner is handed: every datafile parsed (INCLUDE read from
 * the other files), by kind and name, and the files by base name. Built
 * without the project validator's cross-checks (shared/deploy/project.ts), so
 * the planner's own refusals stay reachable and these tests follow the
 * planner alone. Every file must parse: a test's datafiles are meant to.
 */
export function projectOf(files: Record<string, string>): Project {
  const project: Project = { datasources: new Map(), pipes: new Map(), connections: new Map(), files: {} };
  const include = (path: string) => files[path] ?? Object.entries(files).find(([name]) => baseName(name) === baseName(path))?.[1];
  for (const [path, text] of Object.entries(files)) {
    if (path.endsWith(".incl")) continue;
    const parsed = parseDatafile({ path, text, include });
    if (!parsed.ok) throw new Error(`${path} does not parse: ${parsed.errors.map((e) => e.message).join("; ")}`);
    const file = parsed.file;
    project.files[baseName(path)] = text;
    if (file.kind === "datasource") project.datasources.set(file.name, file);
    else if (file.kind === "pipe") project.pipes.set(file.name, file);
    else project.connections.set(file.name, file);
  }
  return project;
}

export interface Step {
  files: Record<string, string>;
  /** The deployment's tag: physical names of what it creates end with it. */
  tag: string;
}

export type PlanResult = ReturnType<typeof planDeployment>;

/**
 * Plans `steps` in order, each against the manifest of the one before (as if
 * it had been promoted), and answers the last plan with its project.
 */
export function planSteps(steps: readonly Step[], database = DATABASE): { result: PlanResult; project: Project; live?: DeploymentManifest } {
  let live: DeploymentManifest | undefined;
  for (const [i, step] of steps.entries()) {
    const project = projectOf(step.files);
    const result = planDeployment({ project, ...(live ? { live } : {}), database, tag: step.tag });
    if (i === steps.length - 1) return { result, project, ...(live ? { live } : {}) };
    if (!result.ok) throw new Error(`step ${i} does not plan: ${JSON.stringify(result.errors)}`);
    live = result.plan.manifest;
  }
  throw new Error("no steps");
}

/** How a test sees a backfill's or view's `select`: each source marked, so the resolution shows. */
export const markSource = (table: string): string => `«${table}»`;

type Selecting = { select(from: (table: string) => string): string };

function called<T extends Selecting>(item: T): Omit<T, "select"> & { select: string } {
  return { ...item, select: item.select(markSource) };
}

/**
 * The plan as JSON. Parsed datafiles and the uploaded files reach the manifest
 * as the project's own objects: they are written as a reference to the file,
 * and in full only if the plan made a copy (which would be a difference).
 */
export function planJson(result: PlanResult, project: Project): string {
  if (!result.ok) return JSON.stringify({ ok: false, errors: result.errors }, null, 2) + "\n";
  const parsed = new Map<object, string>();
  for (const files of [project.datasources, project.pipes, project.connections]) {
    for (const file of files.values()) parsed.set(file, `<parsed ${file.path}>`);
  }
  parsed.set(project.files, "<project files>");
  const plan: Plan = result.plan;
  const written = {
    ...plan,
    views: plan.views.map(called),
    forwards: plan.forwards.map(called),
    backfills: plan.backfills.map(called),
  };
  const json = JSON.stringify(
    { ok: true, plan: written },
    (_key, value: unknown) => (typeof value === "object" && value !== null && parsed.has(value) ? parsed.get(value) : value),
    2,
  );
  return json + "\n";
}

/** The manifest a deployment of `files` would have: the live one in a test that deploys on top of it. */
export function liveOf(files: Record<string, string>, tag = "live1", database = DATABASE): DeploymentManifest {
  const result = planDeployment({ project: projectOf(files), database, tag });
  if (!result.ok) throw new Error(`live files do not plan: ${JSON.stringify(result.errors)}`);
  return result.plan.manifest;
}
