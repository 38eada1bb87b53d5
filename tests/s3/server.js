// An S3 server for the upload tests: @20minutes/s3rver over TLS on 127.0.0.1, checking SigV4
// signatures, with one bucket and one key pair made by the test.
//   node server.js --port P --dir DIR --key KEY.pem --cert CERT.pem --bucket B
//                  --access-key ID --secret-file FILE [--port-file FILE]
// The secret is read from a file so that it is not on this process's command line either.
'use strict';
const fs = require('fs');
const S3rver = require('@20minutes/s3rver');
const AWSAccount = require('@20minutes/s3rver/lib/models/account');

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const secret = fs.readFileSync(args['secret-file'], 'utf8').trim();
// Only the test's key pair is accepted: drop the library's built-in one.
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(args['access-key'], secret);

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(args.port || 0),
  key: fs.readFileSync(args.key),
  cert: fs.readFileSync(args.cert),
  directory: args.dir,
  silent: true,
  vhostBuckets: false,
  allowMismatchedSignatures: false,
  configureBuckets: [{ name: args.bucket }],
});

server.run().then(
  (addr) => {
    if (args['port-file']) fs.writeFileSync(args['port-file'], String(addr.port) + '\n');
  },
  (err) => {
    console.error('s3 server: ' + err.message);
    process.exit(1);
  },
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
