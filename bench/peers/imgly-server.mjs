// Background-removal peer for `make bench` (scenario h): a minimal HTTP
// wrapper around @imgly/background-removal-node, bound to 127.0.0.1 only.
// Usage: node imgly-server.mjs <dir> <port>
//
// GET /<path under dir> answers the PNG cut-out of that image: imgly's
// removeBackground() with its default output (image/png, quality 0.8) and
// the "medium" model, i.e. ISNet fp16, the same file as Matte's default
// isnet-fp16.onnx. The model is loaded and run once before the server
// listens, so that the first timed request does not pay for it. Nothing is
// cached: every request decodes, runs the model and encodes.
import http from "node:http";
import fs from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import { removeBackground } from "@imgly/background-removal-node";

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  console.error("usage: node imgly-server.mjs <dir> <port>");
  process.exit(2);
}
const root = path.resolve(dir);
const require = createRequire(import.meta.url);
// imgly's default publicPath is node_modules/... under the *working
// directory*; point it at the installed package's dist/ instead.
const dist = path.join(path.dirname(require.resolve("@imgly/background-removal-node")), "/");
const config = { publicPath: pathToFileURL(dist).href, model: "medium", output: { format: "image/png", quality: 0.8 } };

const cutOut = async (buf) => Buffer.from(await (await removeBackground(new Blob([buf], { type: "image/jpeg" }), config)).arrayBuffer());

// Warm-up: load the model and run it once on a small generated image.
const t0 = performance.now();
const probe = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#808080" } }).jpeg().toBuffer();
await cutOut(probe);
const warm = performance.now() - t0;

// version of an installed package, from the package.json above its entry point
// (their exports maps do not expose package.json itself).
const versionOf = async (name) => {
  for (let d = path.dirname(require.resolve(name)); d !== path.dirname(d); d = path.dirname(d)) {
    const pj = await fs.readFile(path.join(d, "package.json"), "utf8").catch(() => null);
    if (pj && JSON.parse(pj).name === name) return JSON.parse(pj).version;
  }
  return "?";
};
const versions = `@imgly/background-removal-node ${await versionOf("@imgly/background-removal-node")}, model medium, onnxruntime-node ${await versionOf("onnxruntime-node")}, sharp ${sharp.versions.sharp}`;

const mimeOf = (p) => ({ ".png": "image/png", ".webp": "image/webp" })[path.extname(p).toLowerCase()] ?? "image/jpeg";

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://127.0.0.1");
    const file = path.resolve(root, "." + decodeURIComponent(url.pathname));
    if (!file.startsWith(root + path.sep) || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    const src = await fs.readFile(file).catch(() => null);
    if (!src) {
      res.writeHead(404).end();
      return;
    }
    const blob = await removeBackground(new Blob([src], { type: mimeOf(file) }), config);
    const out = Buffer.from(await blob.arrayBuffer());
    res.writeHead(200, { "Content-Type": "image/png", "Content-Length": out.length });
    res.end(out);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(String(err));
  }
});
server.keepAliveTimeout = 60_000;
server.requestTimeout = 0; // requests queue behind inferences at high concurrency
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`imgly listening on 127.0.0.1:${port} (${versions}; warm-up ${warm.toFixed(0)} ms)`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
