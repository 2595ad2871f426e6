/**
 * @module catalog/branches
 * How a branch is told apart from a workspace: it is a workspace of its own
 * (catalog, database, tokens) registered in the Directory under the owner
 * `branch:<parent id>`, so its name is unique among its parent's branches, no
 * user's workspace list shows it, and its parent is one lookup away.
 */
import type { DirectoryEntry } from "./directory.js";

const PREFIX = "branch:";

/** The Directory owner of `parentId`'s branches. */
export function branchOwner(parentId: string): string {
  return `${PREFIX}${parentId}`;
}

/** The parent of a Directory entry that is a branch; undefined for a workspace. */
export function branchParent(entry: Pick<DirectoryEntry, "owner"> | undefined): string | undefined {
  return entry?.owner.startsWith(PREFIX) ? entry.owner.slice(PREFIX.length) : undefined;
}
