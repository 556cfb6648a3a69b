// Preload (node --require) for the rembg.js client test: requests the
// unmodified client makes to https://api.rembg.com go, over plain HTTP, to
// the Matte under test at MATTE_REMBG_ADDR (127.0.0.1:port), whose site
// answers to that address (the Host header is rewritten). The package itself
// is not touched; only Node's https.request, https.get and fetch are wrapped,
// before the client loads.
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
  // Node derives the Host header from host:port: the test site's address.
  options.headers = Object.fromEntries(Object.entries(options.headers || {}).filter(([k]) => k.toLowerCase() !== 'host'));
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

// fetch is redirected too (a URL or string input), although rembg.js 1.3.1
// uses axios' http adapter, so that a client that switches to fetch still
// reaches Matte rather than the real service.
if (typeof globalThis.fetch === 'function') {
  const origFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    if (typeof input === 'string' || input instanceof URL) {
      const u = new URL(input);
      if (u.hostname === 'api.rembg.com') input = `http://${host}:${port}${u.pathname}${u.search}`;
    }
    return origFetch.call(this, input, init);
  };
}
