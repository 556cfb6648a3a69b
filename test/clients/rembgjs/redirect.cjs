// Preload (node --require) for the rembg.js client test: requests the
// unmodified client makes to https://api.rembg.com go, over plain HTTP, to
// the Matte under test at MATTE_REMBG_ADDR (host:port on this machine). The
// package itself is not touched; only Node's https.request and https.get are
// wrapped, before the client loads.
'use strict';
const http = require('http');
const https = require('https');

const [host, port] = (process.env.MATTE_REMBG_ADDR || '').split(':');
if (!host || !port) throw new Error('MATTE_REMBG_ADDR (host:port) is not set');

function redirected(args) {
  // https.request(options[, cb]) or (url[, options][, cb]), as Node accepts.
  let url = null;
  let options = {};
  let cb;
  for (const a of args) {
    if (typeof a === 'function') cb = a;
    else if (typeof a === 'string' || a instanceof URL) url = new URL(a);
    else if (a && typeof a === 'object') options = { ...a };
  }
  const hostname = options.hostname || options.host || (url && url.hostname);
  if (hostname !== 'api.rembg.com') return null;
  if (url) {
    options.path = options.path || url.pathname + url.search;
  }
  delete options.agent; // an https.Agent cannot carry plain HTTP
  delete options.protocol;
  options.hostname = host;
  options.host = host;
  options.port = Number(port);
  // The Host header follows: Matte's site is addressed by its own name.
  if (options.headers) {
    options.headers = Object.fromEntries(Object.entries(options.headers).filter(([k]) => k.toLowerCase() !== 'host'));
  }
  return cb ? http.request(options, cb) : http.request(options);
}

const origRequest = https.request;
https.request = function (...args) {
  return redirected(args) || origRequest.apply(this, args);
};
const origGet = https.get;
https.get = function (...args) {
  const req = redirected(args);
  if (!req) return origGet.apply(this, args);
  req.end();
  return req;
};
