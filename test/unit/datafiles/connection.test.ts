import { describe, expect, it } from "vitest";
import { connection, errorsOf, lines } from "./helpers.js";

describe("connections", () => {
  it("reads a Kafka connection with secrets left as written", () => {
    const c = connection(lines("TYPE kafka", 'KAFKA_BOOTSTRAP_SERVERS {{ tb_secret("KAFKA_SERVERS", "localhost:9092") }}', "KAFKA_SECURITY_PROTOCOL SASL_SSL", "KAFKA_SASL_MECHANISM plain", 'KAFKA_KEY {{ tb_secret("KAFKA_KEY") }}', 'KAFKA_SECRET {{ tb_secret("KAFKA_SECRET") }}'));
    expect([c.connection, c.secrets.map((s) => [s.name, s.default ?? null])]).toEqual([
      { type: "kafka", bootstrapServers: '{{ tb_secret("KAFKA_SERVERS", "localhost:9092") }}', securityProtocol: "SASL_SSL", saslMechanism: "PLAIN", key: '{{ tb_secret("KAFKA_KEY") }}', secret: '{{ tb_secret("KAFKA_SECRET") }}' },
      [["KAFKA_SERVERS", "localhost:9092"], ["KAFKA_KEY", null], ["KAFKA_SECRET", null]],
    ]);
  });

  it("substitutes secrets from env, falling back to defaults", () => {
    const c = connection(lines("TYPE kafka", 'KAFKA_BOOTSTRAP_SERVERS {{ tb_secret("KAFKA_SERVERS", "localhost:9092") }}', "KAFKA_KEY {{tb_secret('KAFKA_KEY')}}"), { env: { KAFKA_KEY: "k1" } });
    expect(c.connection).toEqual({ type: "kafka", bootstrapServers: "localhost:9092", key: "k1" });
  });

  it("substitutes an empty-string default as empty", () => {
    const c = connection(lines("TYPE kafka", "KAFKA_BOOTSTRAP_SERVERS b:9092", 'KAFKA_SCHEMA_REGISTRY_URL {{ tb_secret("REGISTRY", "") }}'), { env: {} });
    expect(c.connection).toEqual({ type: "kafka", bootstrapServers: "b:9092", schemaRegistryUrl: "" });
  });

  it("reads a multi-line KAFKA_SSL_CA_PEM block", () => {
    const c = connection(lines("TYPE kafka", "KAFKA_BOOTSTRAP_SERVERS b:9092", "KAFKA_SSL_CA_PEM >", "    -----BEGIN CERTIFICATE-----", "    AAAA", "    -----END CERTIFICATE-----"));
    expect(c.connection).toEqual({ type: "kafka", bootstrapServers: "b:9092", sslCaPem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" });
  });

  it("reads an S3 role connection", () => {
    expect(connection(lines("TYPE s3", "S3_REGION us-east-1", "S3_ARN arn:aws:iam::1:role/r")).connection).toEqual({ type: "s3", region: "us-east-1", arn: "arn:aws:iam::1:role/r" });
  });

  it("reads an S3 key connection", () => {
    expect(connection(lines("TYPE S3", 'S3_REGION "eu-west-1"', "S3_ACCESS_KEY ak", "S3_SECRET sk")).connection).toEqual({ type: "s3", region: "eu-west-1", accessKey: "ak", secret: "sk" });
  });

  it("reads a GCS connection with the alias keys", () => {
    expect(connection(lines("TYPE gcs", "GCS_ACCESS_ID id", "GCS_SECRET s")).connection).toEqual({ type: "gcs", hmacAccessId: "id", hmacSecret: "s" });
  });

  it("reads a DynamoDB connection as the TS SDK writes it", () => {
    expect(connection(lines("TYPE dynamodb", "DYNAMODB_ARN arn:aws:iam::1:role/d", "DYNAMODB_REGION us-east-1")).connection).toEqual({ type: "dynamodb", arn: "arn:aws:iam::1:role/d", region: "us-east-1" });
  });

  it("reads Tern's R2 connection (the Worker's SINKS bucket), which takes no settings", () => {
    expect(connection(lines("TYPE r2", "DESCRIPTION the exports bucket")).connection).toEqual({ type: "r2" });
  });

  it("keeps every directive value in options", () => {
    expect(connection(lines("TYPE s3", "S3_REGION us-east-1", "S3_ARN a")).options).toEqual({ S3_REGION: "us-east-1", S3_ARN: "a" });
  });
});

describe("connection errors", () => {
  const cases: [string, string, [number, number, string][]][] = [
    ["missing TYPE", lines("KAFKA_BOOTSTRAP_SERVERS b:9092"), [[1, 1, "missing TYPE; a connection starts with TYPE kafka, TYPE s3, TYPE gcs, TYPE dynamodb or TYPE r2"]]],
    ["bad TYPE", lines("TYPE postgres"), [[1, 6, "invalid connection TYPE `postgres`; expected kafka, s3, gcs, dynamodb or r2"]]],
    ["Kafka without servers", lines("TYPE kafka"), [[1, 1, "a kafka connection needs KAFKA_BOOTSTRAP_SERVERS"]]],
    ["S3 without credentials", lines("TYPE s3", "S3_REGION us-east-1"), [[1, 1, "an s3 connection needs S3_ARN (role) or S3_ACCESS_KEY and S3_SECRET"]]],
    ["S3 key without secret", lines("TYPE s3", "S3_REGION r", "S3_ACCESS_KEY k"), [[1, 1, "a s3 connection needs S3_SECRET"]]],
    ["setting of another service", lines("TYPE s3", "S3_REGION r", "S3_ARN a", "KAFKA_KEY k"), [[4, 1, "KAFKA_KEY does not belong in a s3 connection"]]],
    ["R2 with S3 settings", lines("TYPE r2", "S3_REGION auto"), [[2, 1, "S3_REGION does not belong in a r2 connection"]]],
    ["bad security protocol", lines("TYPE kafka", "KAFKA_BOOTSTRAP_SERVERS b", "KAFKA_SECURITY_PROTOCOL TLS"), [[3, 25, "invalid KAFKA_SECURITY_PROTOCOL `TLS`; expected SASL_SSL, PLAINTEXT, SASL_PLAINTEXT, SSL"]]],
    ["unknown keyword", lines("TYPE kafka", "KAFKA_BOOTSTRAP_SERVERS b", "KAFKA_PASSWORD x"), [[3, 1, "`KAFKA_PASSWORD` is not a valid option in connection files"]]],
    ["missing secret with env", lines("TYPE kafka", 'KAFKA_BOOTSTRAP_SERVERS {{ tb_secret("SERVERS") }}'), [[2, 25, 'secret "SERVERS" is not set and has no default; set it or write tb_secret("SERVERS", "<default>")']]],
  ];
  for (const [what, text, expected] of cases) {
    it(`reports ${what}`, () => {
      expect(errorsOf("c.connection", text, what.includes("env") ? { env: {} } : {})).toEqual(expected);
    });
  }
});
