// ipx peer for `make bench`: ipx's own node server over a local directory,
// bound to 127.0.0.1 only. Usage: node ipx-server.mjs <dir> <port>
// ipx keeps no result cache; sharp's libvips operation cache is turned off
// so that, like Matte in the bench, every request decodes and encodes.
import http from "node:http";
import sharp from "sharp";
import { createIPX, createIPXNodeServer, ipxFSStorage } from "ipx";

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  console.error("usage: node ipx-server.mjs <dir> <port>");
  process.exit(2);
}
sharp.cache(false);
const ipx = createIPX({ storage: ipxFSStorage({ dir }) });
const server = http.createServer(createIPXNodeServer(ipx));
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`ipx listening on 127.0.0.1:${port} (sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()})`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
