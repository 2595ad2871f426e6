/**
 * @module deploy/plan/names
 * Physical names of what a deployment creates. The identity in a table's name
 * says which definition it holds; the tag says which deployment made it, so a
 * failed deployment's leftovers never collide with the next attempt's.
 */
import { quarantineTableName } from "../../sql/ddl/index.js";

/** A datasource's new table: `<name>__<identity>_<tag>`. */
export function newTableName(datasource: string, identity: string, tag: string): string {
  return `${datasource}__${identity}_${tag}`;
}

/** The base a quarantine table's name is made from (its CREATE TABLE is written against it). */
export function quarantineBaseName(datasource: string, quarantineIdentity: string, tag: string): string {
  return newTableName(datasource, quarantineIdentity, tag);
}

export function newQuarantineTableName(datasource: string, quarantineIdentity: string, tag: string): string {
  return quarantineTableName(quarantineBaseName(datasource, quarantineIdentity, tag));
}

/** The view copying a live table's new rows into its replacement while the deployment stages. */
export function forwardViewName(datasource: string, tag: string): string {
  return `${datasource}__forward_${tag}`;
}

/** A materialized pipe's view. */
export function materializedViewName(pipe: string, tag: string): string {
  return `${pipe}__mv_${tag}`;
}
