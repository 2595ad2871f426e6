/**
 * @module
 * `.connection` files: `TYPE kafka|s3|gcs|dynamodb` plus that service's
 * settings, and Tern's `TYPE r2` (the Worker's R2 bucket, for sinks; no
 * settings). Secrets are usually `{{ tb_secret("NAME") }}` values, kept as
 * written: a sink resolves them when it runs (shared/sinks/destination.ts).
 */
import type { ConnectionFile, DynamoDbConnection, GcsConnection, KafkaConnection, S3Connection } from "./ast.js";
import {
  OnceTracker, parseTags, positionOf, substitutedValue, unknownKeywordMessage, valuePosition, type DirectiveContext,
} from "./directives.js";
import type { Statement } from "./lexer.js";

const KAFKA_FIELDS = {
  KAFKA_BOOTSTRAP_SERVERS: "bootstrapServers",
  KAFKA_SECURITY_PROTOCOL: "securityProtocol",
  KAFKA_SASL_MECHANISM: "saslMechanism",
  KAFKA_KEY: "key",
  KAFKA_SECRET: "secret",
  KAFKA_SCHEMA_REGISTRY_URL: "schemaRegistryUrl",
  KAFKA_SSL_CA_PEM: "sslCaPem",
  KAFKA_SASL_OAUTHBEARER_METHOD: "saslOauthbearerMethod",
  KAFKA_SASL_OAUTHBEARER_AWS_REGION: "saslOauthbearerAwsRegion",
  KAFKA_SASL_OAUTHBEARER_AWS_ROLE_ARN: "saslOauthbearerAwsRoleArn",
  KAFKA_SASL_OAUTHBEARER_AWS_EXTERNAL_ID: "saslOauthbearerAwsExternalId",
} as const;
const S3_FIELDS = { S3_REGION: "region", S3_ARN: "arn", S3_ACCESS_KEY: "accessKey", S3_SECRET: "secret" } as const;
const GCS_FIELDS = {
  GCS_SERVICE_ACCOUNT_CREDENTIALS_JSON: "serviceAccountCredentialsJson",
  GCS_HMAC_ACCESS_ID: "hmacAccessId", GCS_ACCESS_ID: "hmacAccessId",
  GCS_HMAC_SECRET: "hmacSecret", GCS_SECRET: "hmacSecret",
} as const;
const DYNAMODB_FIELDS = { DYNAMODB_REGION: "region", DYNAMODB_ARN: "arn" } as const;

const R2_FIELDS = {} as const;

const FIELDS_BY_TYPE = { kafka: KAFKA_FIELDS, s3: S3_FIELDS, gcs: GCS_FIELDS, dynamodb: DYNAMODB_FIELDS, r2: R2_FIELDS } as const;
type ConnectionType = keyof typeof FIELDS_BY_TYPE;

export const CONNECTION_KEYWORDS: ReadonlySet<string> = new Set([
  "TYPE", "DESCRIPTION", "TAGS", "INCLUDE",
  ...Object.keys(KAFKA_FIELDS), ...Object.keys(S3_FIELDS), ...Object.keys(GCS_FIELDS), ...Object.keys(DYNAMODB_FIELDS),
]);

const SECURITY_PROTOCOLS = ["SASL_SSL", "PLAINTEXT", "SASL_PLAINTEXT", "SSL"];
const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

export function parseConnectionStatements(name: string, statements: Statement[], context: DirectiveContext): ConnectionFile {
  const { diagnostics } = context;
  const once = new OnceTracker(diagnostics);
  const options: Record<string, string> = {};
  const at = new Map<string, Statement>();
  const tags: string[] = [];
  let description: string | undefined;
  let type: ConnectionType | undefined;
  let typeStatement: Statement | undefined;

  for (const st of statements) {
    if (!CONNECTION_KEYWORDS.has(st.keyword)) {
      diagnostics.error(positionOf(st), unknownKeywordMessage(st.keyword, "connection", CONNECTION_KEYWORDS));
      continue;
    }
    once.note(st);
    const value = substitutedValue(st, context).trim();
    if (st.keyword === "DESCRIPTION") { description = value; continue; }
    if (st.keyword === "TAGS") { tags.push(...parseTags(value)); continue; }
    if (st.keyword === "TYPE") {
      const t = value.toLowerCase();
      if (t in FIELDS_BY_TYPE) { type = t as ConnectionType; typeStatement = st; }
      else diagnostics.error(valuePosition(st), `invalid connection TYPE \`${value}\`; expected kafka, s3, gcs, dynamodb or r2`);
      continue;
    }
    options[st.keyword] = value;
    at.set(st.keyword, st);
  }

  const fileStart = { file: context.path, line: 1, column: 1 };
  if (!type && !typeStatement && !diagnostics.errors.some((e) => e.detail.startsWith("invalid connection TYPE"))) {
    diagnostics.error(fileStart, "missing TYPE; a connection starts with TYPE kafka, TYPE s3, TYPE gcs, TYPE dynamodb or TYPE r2");
  }
  const chosen: ConnectionType = type ?? "kafka";
  const fields: Record<string, string> = FIELDS_BY_TYPE[chosen];
  const settings: Record<string, string> = {};
  for (const [kw, value] of Object.entries(options)) {
    const field = fields[kw];
    if (field === undefined) {
      if (type) diagnostics.error(positionOf(at.get(kw)!), `${kw} does not belong in a ${type} connection`);
      continue;
    }
    settings[field] = value;
  }
  const requireSetting = (kw: string) => {
    if (type && options[kw] === undefined) diagnostics.error(typeStatement ? positionOf(typeStatement) : fileStart, `a ${type} connection needs ${kw}`);
  };
  const checkChoice = (kw: string, choices: string[]) => {
    const value = options[kw];
    if (value !== undefined && !value.includes("{{") && !choices.includes(value.toUpperCase())) {
      diagnostics.error(valuePosition(at.get(kw)!), `invalid ${kw} \`${value}\`; expected ${choices.join(", ")}`);
    }
  };

  let connection: ConnectionFile["connection"];
  switch (chosen) {
    case "kafka": {
      requireSetting("KAFKA_BOOTSTRAP_SERVERS");
      checkChoice("KAFKA_SECURITY_PROTOCOL", SECURITY_PROTOCOLS);
      checkChoice("KAFKA_SASL_MECHANISM", SASL_MECHANISMS);
      if (settings.securityProtocol) settings.securityProtocol = settings.securityProtocol.toUpperCase();
      if (settings.saslMechanism) settings.saslMechanism = settings.saslMechanism.toUpperCase();
      connection = { type: "kafka", bootstrapServers: "", ...settings } as KafkaConnection;
      break;
    }
    case "s3": {
      requireSetting("S3_REGION");
      if (type && options.S3_ARN === undefined && options.S3_ACCESS_KEY === undefined) {
        diagnostics.error(typeStatement ? positionOf(typeStatement) : fileStart, "an s3 connection needs S3_ARN (role) or S3_ACCESS_KEY and S3_SECRET");
      }
      if (options.S3_ACCESS_KEY !== undefined && options.S3_SECRET === undefined) requireSetting("S3_SECRET");
      connection = { type: "s3", region: "", ...settings } as S3Connection;
      break;
    }
    case "gcs":
      connection = { type: "gcs", ...settings } as GcsConnection;
      break;
    case "dynamodb":
      connection = { type: "dynamodb", ...settings } as DynamoDbConnection;
      break;
    case "r2":
      connection = { type: "r2" };
      break;
  }
  const file: ConnectionFile = {
    kind: "connection", name, path: context.path, tags, secrets: context.secrets, warnings: diagnostics.warnings, connection, options,
  };
  if (description !== undefined && description !== "") file.description = description;
  return file;
}
