'use strict';
// The side-by-side benchmark (run it with examples/bench/run.sh, which
// installs the Node packages and builds the quickstart and the load
// generator in release first).
//
// In one run, on loopback, with the same load generator (examples/load):
// the quickstart on SQLite, the quickstart on PostgreSQL and the Express
// baseline (express.js), alternately, at each number of connections; each
// measurement on a fresh server and an empty ledger. Prints, ready to
// paste into the README: pingbacks/s, p50, p99, max, errors, ledger and
// grant rows, the server's CPU time per pingback, the load average, and
// the ratios pw / Express; then the slow-handler scenario.
//
// Options:
//   --requests N          pingbacks per measurement (default 10000)
//   --connections LIST    comma-separated (default 1,8,32)
//   --rounds N            measurements of each system at each number of
//                         connections, alternating (default 1); the ratios
//                         use the medians
//   --systems LIST        of pw-sqlite, pw-postgres, express (default all)
//   --slow-only           only the slow-handler scenario
//   --no-slow             without the slow-handler scenario
//   --slow-delay MS       the slow handler's wait (default 2000)
//   --slow-pingbacks N    concurrent pingbacks of the scenario (default 50)
// Environment: PW_BENCH_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test): the quickstart's tables there
// are pwbench_ledger, pwbench_claims and pwbench_grants, dropped before each measurement.

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const Database = require('better-sqlite3');

const root = path.resolve(__dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR
  ? path.resolve(process.env.CARGO_TARGET_DIR)
  : path.join(root, 'target');
const quickstartBin = path.join(target, 'release', 'examples', 'quickstart');
const loadBin = path.join(target, 'release', 'examples', 'load');
const work = path.join(__dirname, 'work');
const postgresUrl = process.env.PW_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const PREFIX = 'pwbench_';

// ------------------------------------------------------------------ options

function parseOptions(argv) {
  const options = {
    requests: 10000,
    connections: [1, 8, 32],
    rounds: 1,
    systems: ['pw-sqlite', 'pw-postgres', 'express'],
    main: true,
    slow: true,
    slowDelay: 2000,
    slowPingbacks: 50,
  };
  const number = (name, value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) fail(`${name} takes a whole number above 0, not ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--requests': options.requests = number(arg, value()); break;
      case '--connections': options.connections = value().split(',').map((c) => number(arg, c)); break;
      case '--rounds': options.rounds = number(arg, value()); break;
      case '--systems': options.systems = value().split(','); break;
      case '--slow-only': options.main = false; break;
      case '--no-slow': options.slow = false; break;
      case '--slow-delay': options.slowDelay = number(arg, value()); break;
      case '--slow-pingbacks': options.slowPingbacks = number(arg, value()); break;
      default: fail(`unknown argument ${arg} (see the options at the top of examples/bench/bench.js)`);
    }
  }
  for (const name of options.systems) {
    if (!SYSTEMS[name]) fail(`unknown system ${name}: pw-sqlite, pw-postgres or express`);
  }
  return options;
}

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

// ------------------------------------------------------------------ systems

function psql(sql) {
  const result = spawnSync('psql', [postgresUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
  if (result.error) fail(`psql: ${result.error.message} (install PostgreSQL's client)`);
  if (result.status !== 0) fail(`psql ${postgresUrl}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

function sqliteCount(file, table) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
  } catch (error) {
    throw new Error(`counting the rows of ${table} in ${file}: ${error.message} ` +
      '(if a table was renamed, update the names in SYSTEMS in examples/bench/bench.js)');
  } finally {
    db.close();
  }
}

function removeSqlite(file) {
  for (const suffix of ['', '-wal', '-shm', '.lock']) fs.rmSync(file + suffix, { force: true });
}

const pwSqliteFile = path.join(work, 'pw-sqlite.db');
const expressFile = path.join(work, 'express.db');

function quickstart(port, ledgerUrl, env) {
  return {
    command: quickstartBin,
    args: [],
    env: {
      PW_ADDR: `127.0.0.1:${port}`,
      PW_LEDGER_URL: ledgerUrl,
      PW_LEDGER_PREFIX: PREFIX,
      PW_LOG: 'warn',
      ...env,
    },
  };
}

const SYSTEMS = {
  'pw-sqlite': {
    label: 'pw, SQLite',
    port: 18081,
    process: (env) => quickstart(18081, `sqlite:${pwSqliteFile}`, env),
    reset: () => removeSqlite(pwSqliteFile),
    rows: () => [sqliteCount(pwSqliteFile, `${PREFIX}ledger`), sqliteCount(pwSqliteFile, `${PREFIX}grants`)],
  },
  'pw-postgres': {
    label: 'pw, PostgreSQL',
    port: 18082,
    process: (env) => quickstart(18082, postgresUrl, env),
    reset: () => psql(`DROP TABLE IF EXISTS ${PREFIX}ledger, ${PREFIX}claims, ${PREFIX}grants`),
    rows: () => [
      Number(psql(`SELECT COUNT(*) FROM ${PREFIX}ledger`)),
      Number(psql(`SELECT COUNT(*) FROM ${PREFIX}grants`)),
    ],
  },
  express: {
    label: 'Express + paymentwall + better-sqlite3',
    port: 18083,
    process: (env) => ({
      command: process.execPath,
      args: [path.join(__dirname, 'express.js')],
      env: { PORT: '18083', DATABASE: expressFile, ...env },
    }),
    reset: () => removeSqlite(expressFile),
    rows: () => [sqliteCount(expressFile, 'ledger'), sqliteCount(expressFile, 'grants')],
  },
};

// ------------------------------------------------------------ one measurement

/// CPU seconds (user + system) the process has used, from /proc (Linux).
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return NaN;
  }
}
const clockTicks = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(result.stdout) || 100;
})();

function answers(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('error', () => resolve(false));
  });
}

function ready(port, deadline) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
        response.resume();
        resolve();
      });
      request.on('error', () => {
        if (Date.now() > deadline) reject(new Error(`nothing answers on port ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 10000).unref();
  });
}

async function measure(name, connections, requests, env, logName) {
  const system = SYSTEMS[name];
  if (await answers(system.port)) {
    throw new Error(`something already answers on 127.0.0.1:${system.port}: stop it, the benchmark needs that port`);
  }
  system.reset();
  const spec = system.process(env);
  const log = fs.openSync(path.join(work, `${logName}.log`), 'w');
  const child = spawn(spec.command, spec.args, {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await Promise.race([
      ready(system.port, Date.now() + 60000),
      exited.then(({ code, signal }) => {
        throw new Error(`${name} exited (${signal || code}) before answering; see ${path.join(work, logName + '.log')}`);
      }),
    ]);
    const loadBefore = os.loadavg()[0];
    const cpuBefore = cpuSeconds(child.pid);
    const url = `http://127.0.0.1:${system.port}/pingback`;
    const load = spawnSync(loadBin, ['--url', url, '--connections', String(connections), '--requests', String(requests)], {
      encoding: 'utf8',
      timeout: 900000,
    });
    const cpuAfter = cpuSeconds(child.pid);
    const loadAfter = os.loadavg()[0];
    fs.writeFileSync(path.join(work, `${logName}.load.txt`), load.stdout + load.stderr);
    const summaryLine = (load.stdout || '').split('\n').find((line) => line.startsWith('summary: '));
    if (!summaryLine) {
      throw new Error(`the load generator printed no summary (${load.error ? load.error.message : 'exit ' + load.status}):\n${load.stdout}${load.stderr}`);
    }
    const summary = Object.fromEntries(
      summaryLine.slice('summary: '.length).split(' ').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)]));
    await stop(child);
    const [ledgerRows, grantRows] = system.rows();
    return {
      name, connections, ...summary, ledgerRows, grantRows,
      cpuMicrosPerPingback: ((cpuAfter - cpuBefore) / summary.sent) * 1e6,
      loadBefore, loadAfter,
      errorLines: load.stdout.split('\n').filter((line) => line.startsWith('  ')).slice(0, 3),
    };
  } finally {
    await stop(child);
    fs.closeSync(log);
  }
}

// ------------------------------------------------------------------ report

const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const grouped = (n) => Math.round(n).toLocaleString('en-US');
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (n) => (n >= 100 ? grouped(n) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function machine() {
  const cpus = os.cpus();
  const model = cpus.length ? cpus[0].model.trim() : 'unknown CPU';
  return `${model}, ${cpus.length} logical CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `${os.type()} ${os.release()}, Node ${process.version}`;
}

function resultsTable(results, rounds) {
  const lines = [
    `| connections | system |${rounds > 1 ? ' round |' : ''} pingbacks/s | p50 ms | p99 ms | max ms | errors | ledger rows | grant rows | server CPU µs/pingback | load avg before → after |`,
    `|---|---|${rounds > 1 ? '---|' : ''}---|---|---|---|---|---|---|---|---|`,
  ];
  for (const r of results) {
    lines.push(`| ${r.connections} | ${SYSTEMS[r.name].label} |${rounds > 1 ? ` ${r.round} |` : ''} ` +
      `${grouped(r.rate)} | ${ms(r.p50_ms)} | ${ms(r.p99_ms)} | ${ms(r.max_ms)} | ${r.errors} | ` +
      `${grouped(r.ledgerRows)} | ${grouped(r.grantRows)} | ${fixed(r.cpuMicrosPerPingback, 0)} | ` +
      `${fixed(r.loadBefore, 2)} → ${fixed(r.loadAfter, 2)} |`);
  }
  return lines.join('\n');
}

function ratioTable(results, options) {
  const pws = options.systems.filter((name) => name !== 'express');
  if (!options.systems.includes('express') || pws.length === 0) return '';
  const medianOf = (name, connections, field) =>
    median(results.filter((r) => r.name === name && r.connections === connections).map((r) => r[field]));
  const head = pws.map((name) => ` ${SYSTEMS[name].label} / Express pingbacks/s | p99 ms: pw / Express |`).join('');
  const lines = [
    `| connections |${head}`,
    `|---|${pws.map(() => '---|---|').join('')}`,
  ];
  for (const connections of options.connections) {
    const express = medianOf('express', connections, 'rate');
    const expressP99 = medianOf('express', connections, 'p99_ms');
    const cells = pws.map((name) => {
      const ratio = medianOf(name, connections, 'rate') / express;
      return ` ${ratio.toFixed(2)}× | ${ms(medianOf(name, connections, 'p99_ms'))} / ${ms(expressP99)} |`;
    }).join('');
    lines.push(`| ${connections} |${cells}`);
  }
  return lines.join('\n');
}

function slowTable(results, options) {
  const lines = [
    `| system | seconds for all ${options.slowPingbacks} | p50 ms | max ms | errors | ledger rows | grant rows |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    lines.push(`| ${SYSTEMS[r.name].label} | ${r.seconds.toFixed(2)} | ${ms(r.p50_ms)} | ${ms(r.max_ms)} | ` +
      `${r.errors} | ${r.ledgerRows} | ${r.grantRows} |`);
  }
  return lines.join('\n');
}

function verdict(results) {
  const bad = results.filter((r) => r.errors !== 0 || r.answered !== r.sent ||
    r.ledgerRows !== r.sent || r.grantRows !== r.sent);
  if (bad.length === 0) return 'every run: zero errors, ledger rows = grant rows = pingbacks sent.';
  return 'NOT every run was clean:\n' + bad.map((r) =>
    `  ${SYSTEMS[r.name].label} at ${r.connections} connections: ${r.errors} errors, ` +
    `${r.answered} answered of ${r.sent}, ${r.ledgerRows} ledger rows, ${r.grantRows} grant rows` +
    (r.errorLines.length ? `\n  ${r.errorLines.join('\n  ')}` : '')).join('\n');
}

// ------------------------------------------------------------------ main

async function main() {
  const options = parseOptions(process.argv.slice(2));
  for (const bin of [quickstartBin, loadBin]) {
    if (!fs.existsSync(bin)) fail(`${bin} is missing: run examples/bench/run.sh, which builds it`);
  }
  if (options.systems.includes('pw-postgres')) psql('SELECT 1');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });

  const command = ['examples/bench/run.sh', ...process.argv.slice(2)].join(' ');
  console.log(`# pw pingback listeners side by side\n`);
  console.log(`command: ${command}`);
  console.log(`machine: ${machine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`load average (1, 5, 15 min) at the start: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}\n`);

  const results = [];
  if (options.main) {
    let turn = 0;
    for (const connections of options.connections) {
      for (let round = 1; round <= options.rounds; round++) {
        // Alternate: each round starts with the next system.
        const order = options.systems.map((_, i) => options.systems[(i + turn) % options.systems.length]);
        turn++;
        for (const name of order) {
          process.stderr.write(`  ${name}, ${connections} connections, round ${round}: `);
          const result = await measure(name, connections, options.requests, {},
            `${connections}c-r${round}-${name}`);
          result.round = round;
          results.push(result);
          process.stderr.write(`${grouped(result.rate)} pingbacks/s, ${result.errors} errors\n`);
        }
      }
    }
    console.log(`## ${grouped(options.requests)} unique signed pingbacks per run, keep-alive, loopback\n`);
    console.log(resultsTable(results, options.rounds) + '\n');
    const ratios = ratioTable(results, options);
    if (ratios) {
      console.log(`Ratios${options.rounds > 1 ? ' (medians of the rounds)' : ''}, measured in this run:\n`);
      console.log(ratios + '\n');
    }
    console.log(`Check: ${verdict(results)}\n`);
  }

  if (options.slow) {
    const slow = [];
    const env = { PW_HANDLER_DELAY_MS: String(options.slowDelay) };
    for (const name of options.systems) {
      process.stderr.write(`  ${name}, slow handler: `);
      const result = await measure(name, options.slowPingbacks, options.slowPingbacks, env, `slow-${name}`);
      slow.push(result);
      process.stderr.write(`${result.seconds.toFixed(2)} s, ${result.errors} errors\n`);
    }
    console.log(`## A handler that waits ${options.slowDelay / 1000} s before it writes (an external call), ` +
      `${options.slowPingbacks} concurrent pingbacks of other refs\n`);
    console.log(slowTable(slow, options) + '\n');
    console.log(`Check: ${verdict(slow)}\n`);
  }
  // Leave nothing in the shared database.
  if (options.systems.includes('pw-postgres')) SYSTEMS['pw-postgres'].reset();
  console.log(`load average (1, 5, 15 min) at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  console.log(`server logs and load-generator output: examples/bench/work/`);
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
