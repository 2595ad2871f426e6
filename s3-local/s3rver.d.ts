// The parts of @20minutes/s3rver 4.0.4 (a CommonJS package without types) that
// server.ts uses.
declare module "@20minutes/s3rver" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  interface S3rverOptions {
    directory: string;
    silent?: boolean;
    /** Path-style URLs only when false (`http://host/bucket/key`). */
    vhostBuckets?: boolean;
    configureBuckets?: Array<{ name: string }>;
  }

  class S3rver {
    constructor(options: S3rverOptions);
    /** Creates the configured buckets in the store. */
    configureBuckets(): Promise<void>;
    /** The request handler (Koa's `callback()`). */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
  export default S3rver;
}

declare module "@20minutes/s3rver/lib/models/account.js" {
  interface AWSAccount {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
    revokeAccessKey(accessKeyId: string): void;
  }
  const Account: { DUMMY_ACCOUNT: AWSAccount };
  export default Account;
}
