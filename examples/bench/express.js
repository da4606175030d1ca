'use strict';
// The benchmark's peer baseline: the pingback listener of Paymentwall's
// documentation, done carefully. Express, Paymentwall's official Node
// library (`paymentwall` on npm) for the signature, and better-sqlite3 with
// WAL, synchronous=FULL and one transaction per pingback, doing the
// quickstart's work:
//
//   1. the signature, verified by the official library (Pingback.validate);
//   2. the source address: Paymentwall's addresses (the official list) or,
//      as in the quickstart's development mode, loopback;
//   3. a ledger row for ref_type (INSERT OR IGNORE: a duplicate is answered
//      OK again without a second grant);
//   4. the shop's grant row (a payment) or revocation (a chargeback), in the
//      same transaction as the ledger row;
//   5. the answer OK.
//
// Environment: PORT (default 8090), DATABASE (default express-bench.db),
// PW_SECRET_KEY (default the quickstart's development key),
// PW_HANDLER_DELAY_MS (default 0: an artificial wait before the
// transaction, standing for an external call).

const express = require('express');
const Database = require('better-sqlite3');
const Paymentwall = require('paymentwall');

const port = Number(process.env.PORT || 8090);
const file = process.env.DATABASE || 'express-bench.db';
const secret = process.env.PW_SECRET_KEY || 'pw-quickstart-development-key';
const delay = Number(process.env.PW_HANDLER_DELAY_MS || 0);

Paymentwall.Configure(Paymentwall.Base.API_GOODS, 'bench-project-key', secret);

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  CREATE TABLE IF NOT EXISTS ledger (
    ref_type TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    delivered_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS grants (
    reference TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    goodsid TEXT NOT NULL,
    revenue TEXT NOT NULL,
    currency TEXT NOT NULL,
    campaign TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoke_reason TEXT);
`);

const recordDelivery = db.prepare(
  'INSERT OR IGNORE INTO ledger (ref_type, query, delivered_at) VALUES (?, ?, ?)');
const insertGrant = db.prepare(
  'INSERT INTO grants (reference, uid, goodsid, revenue, currency, campaign, granted_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?)');
const revokeGrant = db.prepare(
  'UPDATE grants SET revoked_at = ?, revoke_reason = ? WHERE reference = ? AND revoked_at IS NULL');

// One transaction: the ledger row and the shop's row commit together.
// False when the pingback was delivered before.
const deliver = db.transaction((pingback, query) => {
  const now = Math.floor(Date.now() / 1000);
  if (recordDelivery.run(pingback.getPingbackUniqueId(), query, now).changes === 0) {
    return false;
  }
  if (pingback.isDeliverable()) {
    insertGrant.run(
      pingback.getReferenceId(),
      pingback.getUserId(),
      pingback.getProductId(),
      pingback.getParameter('revenue'),
      pingback.getParameter('paid_currency'),
      pingback.getParameter('campaign'),
      now);
  } else if (pingback.isCancelable()) {
    revokeGrant.run(now, String(pingback.getParameter('reason')), pingback.getReferenceId());
  }
  return true;
});

function isLoopback(address) {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

const app = express();
app.use(express.text({ type: 'application/x-www-form-urlencoded' }));

app.all('/pingback', async (req, res) => {
  try {
    const question = req.originalUrl.indexOf('?');
    const query = req.method === 'POST'
      ? String(req.body || '')
      : (question < 0 ? '' : req.originalUrl.slice(question + 1));
    const address = req.socket.remoteAddress || '';
    const pingback = new Paymentwall.Pingback(query, address.replace(/^::ffff:/, ''));
    if (!pingback.isIpAddressValid() && !isLoopback(address)) {
      res.status(403).send('IP address is not whitelisted');
      return;
    }
    // The parameters and the signature (the address was checked above).
    if (!pingback.validate(true)) {
      res.status(403).send(pingback.getErrorSummary());
      return;
    }
    if (delay > 0) {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    deliver(pingback, query);
    res.send('OK');
  } catch (error) {
    console.error(error);
    res.status(500).send('internal error');
  }
});

app.listen(port, '127.0.0.1', () => {
  console.log(`express baseline on http://127.0.0.1:${port}/pingback, ledger ${file}`);
});
