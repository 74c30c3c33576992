#!/usr/bin/env node
// One login with node's mysql2; prints the outcome.
//
//   node client_node.js --host H --port P --user U --password PW
//                       [--tls 1.2|1.3] [--ca CA] [--cert CERT --key KEY]
//
// mysql2 is found through NODE_PATH (the MTR test points it at
// BUILD/node/node_modules, installed by tests/clients/setup-node.sh from the
// pinned package-lock.json).  Without --tls the connection is plain TCP.
// With --tls the server is verified against --ca (chain and host name) and
// exactly that TLS version is offered.  Prints one line:
//   admitted tls=<Ssl_version of the session, or none>
//   denied <error code>         (a refused login: 1045 is the expected one)
// and exits 0; anything else prints "error ..." and exits 1.
'use strict';
const fs = require('fs');
const mysql = require('mysql2');

const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
    console.log(`error bad argument ${argv[i]}`);
    process.exit(1);
  }
  opt[argv[i].slice(2)] = argv[i + 1];
}

const config = {
  host: opt.host,
  port: Number(opt.port),
  user: opt.user,
  password: opt.password || '',
  connectTimeout: 10000,
};
if (opt.tls) {
  const v = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' }[opt.tls];
  if (!v) {
    console.log(`error bad --tls ${opt.tls}`);
    process.exit(1);
  }
  config.ssl = {
    ca: opt.ca ? fs.readFileSync(opt.ca) : undefined,
    cert: opt.cert ? fs.readFileSync(opt.cert) : undefined,
    key: opt.key ? fs.readFileSync(opt.key) : undefined,
    minVersion: v,
    maxVersion: v,
    rejectUnauthorized: true,
    verifyIdentity: true,
  };
}

const conn = mysql.createConnection(config);
conn.connect((err) => {
  if (err) {
    // A server error packet (2000..2999 would be client-side codes).
    const n = err.errno;
    if (typeof n === 'number' && n >= 1000 && !(n >= 2000 && n < 3000) && err.sqlState) {
      console.log(`denied ${err.errno}`);
      process.exit(0);
    }
    console.log(`error ${err.code || ''} ${err.message}`);
    process.exit(1);
  }
  conn.query("SHOW SESSION STATUS LIKE 'Ssl_version'", (qerr, rows) => {
    if (qerr) {
      console.log(`error ${qerr.code || ''} ${qerr.message}`);
      process.exit(1);
    }
    console.log(`admitted tls=${rows[0].Value || 'none'}`);
    conn.end(() => process.exit(0));
  });
});
