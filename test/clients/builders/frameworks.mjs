// Runs the examples of the README's "Use it from your framework" section
// and prints, as JSON, the image URLs they produce, with the width, height
// and format Matte must answer each with (for Accept "image/webp,*/*"),
// plus the section's Caddyfile snippets. caddymodule/frameworks_integration_test.go
// serves those snippets and requests every URL.
//
// Usage: node frameworks.mjs --readme ../../../README.md [--src-width 1200 --src-height 900]
//
// An example is a fenced block right below a `<!-- example: NAME -->` line.
// Nothing here copies an example: each is written, as the README has it, to
// node_modules/.matte-examples/ (so that its imports resolve to the pinned
// packages) and run there. How each is run depends on its name:
//   caddy-*         Caddyfile snippets, passed on to the Go test.
//   print-*         a script printing one URL a line; each console.log
//                   call ends in a comment `// WxH format`, what Matte must
//                   answer that URL with, in the order printed.
//   nextjs-loader   a loader module (first line `// <file name>`), called
//                   through next/image's getImageProps as Next calls it.
//   nextjs-config   next.config.mjs: its loaderFile must name that module.
//   nextjs-image    <Image> tags, run through getImageProps (with the loader
//                   when the tag names it, else Next's default loader).
//   nuxt-config     nuxt.config.ts, with defineNuxtConfig as Nuxt defines it.
//   nuxt-image      <NuxtImg> tags, run through @nuxt/image's own provider.
//   astro-config    astro.config.mjs, with astro/config's defineConfig.
//   astro-image     <Image> tags, run through the configured image service.
// Any other name, a missing one, or an example that fails is an error.
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getImageProps } from 'next/image.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    readme: { type: 'string', default: join(here, '../../../README.md') },
    'src-width': { type: 'string', default: '1200' },
    'src-height': { type: 'string', default: '900' },
  },
});
const sw = Number(a['src-width']);
const sh = Number(a['src-height']);
// The host every example names as Matte's; URLs on it become requests.
const matteHost = 'matte.example.com';
// The kinds of example the section must have, each at least once.
const required = ['caddy-', 'print-', 'nextjs-loader', 'nextjs-config', 'nextjs-image', 'nuxt-config', 'nuxt-image',
  'astro-config', 'astro-image'];

function fail(msg) {
  process.stderr.write(`frameworks.mjs: ${msg}\n`);
  process.exit(1);
}

// examples are the README's marked blocks, in order.
const readme = readFileSync(a.readme, 'utf8');
const examples = [...readme.matchAll(/<!-- example: ([\w-]+) -->\s*\n```(\w*)\n([\s\S]*?)\n```/g)]
  .map(([, name, lang, text]) => ({ name, lang, text }));
for (const r of required) {
  if (!examples.some((e) => e.name.startsWith(r))) fail(`README has no "${r}" example`);
}
const outDir = join(here, 'node_modules', '.matte-examples');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const write = (file, text) => {
  const p = join(outDir, file);
  writeFileSync(p, text + '\n');
  return p;
};
const load = async (file, text) => import(pathToFileURL(write(file, text)).href);

// tags parses <Name attr="s" attr={expr} /> tags: strings stay strings,
// numbers become numbers, other expressions stay their source text.
function tags(text, name) {
  const out = [];
  for (const [, attrs] of text.matchAll(new RegExp(`<${name}\\s([^>]*?)/?>`, 'g'))) {
    const t = {};
    for (const [, k, s, e] of attrs.matchAll(/([:\w-]+)\s*=\s*(?:"([^"]*)"|\{([^}]*)\})/g)) {
      t[k] = s !== undefined ? (/^\d+$/.test(s) ? Number(s) : s) : /^\d+$/.test(e.trim()) ? Number(e) : e.trim();
    }
    out.push(t);
  }
  if (out.length === 0) fail(`no <${name}> tag in the example`);
  return out;
}

// fit is the size of the source fitted inside w x h (either may be absent),
// never enlarged, as Matte answers a width-only or clip request.
function fit(w, h) {
  let s = Math.min(w ? w / sw : Infinity, h ? h / sh : Infinity, 1);
  return { width: Math.round(sw * s), height: Math.round(sh * s) };
}

const caddyfile = [];
const cases = [];
function add(example, url, want) {
  const u = new URL(url, 'http://relative.invalid/');
  if (u.host !== matteHost && u.host !== 'relative.invalid') fail(`${example}: ${url} is not on ${matteHost}`);
  cases.push({ example, url, request: u.pathname + u.search, ...want });
}

let loader; // { file, fn } from nextjs-loader
let nuxtConfig;
let astroConfig;
for (const ex of examples) {
  const { name, text } = ex;
  if (name.startsWith('caddy-')) {
    caddyfile.push({ example: name, text });
  } else if (name.startsWith('print-')) {
    const wants = [...text.matchAll(/\/\/\s*(\d+)x(\d+)\s+(\w+)\s*$/gm)]
      .map(([, w, h, f]) => ({ width: Number(w), height: Number(h), format: f }));
    const out = execFileSync(process.execPath, [write(`${name}.mjs`, text)], { encoding: 'utf8' })
      .split('\n').filter((l) => l.trim() !== '');
    if (wants.length === 0 || out.length !== wants.length) {
      fail(`${name}: printed ${out.length} URLs for ${wants.length} "// WxH format" comments`);
    }
    out.forEach((url, i) => add(name, url.trim(), wants[i]));
  } else if (name === 'nextjs-loader') {
    const file = /^\/\/\s*(\S+)/.exec(text)?.[1];
    if (!file) fail('nextjs-loader: the first line must be `// <file name>`');
    const mod = await load(`${name}.mjs`, text);
    if (typeof mod.default !== 'function') fail('nextjs-loader: no default-exported loader function');
    loader = { file, fn: mod.default };
  } else if (name === 'nextjs-config') {
    const cfg = (await load(`${name}.mjs`, text)).default;
    if (cfg?.images?.loader !== 'custom' || basename(cfg.images.loaderFile ?? '') !== loader?.file) {
      fail(`nextjs-config: images must be { loader: 'custom', loaderFile: './${loader?.file}' }`);
    }
  } else if (name === 'nextjs-image') {
    for (const t of tags(text, 'Image')) {
      const props = { ...t };
      const asked = new Map(); // URL -> the width Next asked the loader for
      if (t.loader !== undefined) {
        if (!loader) fail('nextjs-image: a tag names a loader but there is no nextjs-loader example');
        props.loader = (p) => {
          const url = loader.fn(p);
          asked.set(url, p.width);
          return url;
        };
      }
      const { props: img } = getImageProps(props);
      const urls = img.srcSet.split(', ').map((s) => s.split(' ')[0]);
      for (const url of urls) {
        // Next's default loader asks /_next/image for the width in w.
        const w = asked.get(url) ?? Number(new URL(url, 'http://n/').searchParams.get('w'));
        add(name, url, { ...fit(w), format: 'webp' });
      }
    }
  } else if (name === 'nuxt-config') {
    globalThis.defineNuxtConfig = (c) => c;
    nuxtConfig = (await load(`${name}.mjs`, text)).default;
  } else if (name === 'nuxt-image') {
    if (!nuxtConfig) fail('nuxt-image: no nuxt-config example above it');
    for (const t of tags(text, 'NuxtImg')) {
      const provider = t.provider ?? nuxtConfig.image?.provider ?? 'ipx';
      const { default: define } = await import(`@nuxt/image/runtime/providers/${provider}`);
      const modifiers = {};
      for (const k of ['width', 'height', 'format', 'quality', 'fit']) if (t[k] !== undefined) modifiers[k] = t[k];
      const baseURL = nuxtConfig.image?.[provider]?.baseURL;
      const { url } = define().getImage(t.src, { modifiers: { ...modifiers }, baseURL }, { options: { nuxt: { baseURL: '/' } } });
      const box = provider === 'ipx' ? { width: t.width, height: t.height } : fit(t.width, t.height);
      add(name, url, { ...box, format: t.format ?? 'jpeg' });
    }
  } else if (name === 'astro-config') {
    write('astro-config-shim.mjs', 'export const defineConfig = (c) => c;');
    const src = text.replace(/(from\s+)['"]astro\/config['"]/, "$1'./astro-config-shim.mjs'");
    astroConfig = (await load(`${name}.mjs`, src)).default;
  } else if (name === 'astro-image') {
    if (!astroConfig) fail('astro-image: no astro-config example above it');
    const image = astroConfig.image;
    const { default: service } = await import(pathToFileURL(image.service.entrypoint).href);
    for (const t of tags(text, 'Image')) {
      const opts = service.validateOptions ? service.validateOptions({ ...t }, image) : { ...t };
      const url = await service.getURL(opts, image);
      add(name, url, { width: t.width, height: t.height, format: t.format ?? 'webp' });
    }
  } else {
    fail(`unknown example kind "${name}"`);
  }
}

process.stdout.write(JSON.stringify({ accept: 'image/webp,*/*', src_width: sw, src_height: sh, caddyfile, cases }, null, 2) + '\n');
