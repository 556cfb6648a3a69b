// Prints, as JSON, the image URLs that the real npm URL builders build for
// one source image, with the size and format Matte must answer each with.
// caddymodule/builders_integration_test.go requests every URL through the
// server; the dialect packages' tests parse testdata/builders.json, which
// `node build.mjs --base http://127.0.0.1:9080 --src /img/builders.jpg`
// writes (see README.md in this folder).
//
// Usage: node build.mjs --base URL --src PATH --src-width N --src-height N
//          [--imgproxy-key HEX --imgproxy-salt HEX]
// The expected formats assume the request's Accept is "image/webp,*/*".
import { parseArgs } from 'node:util';
import { transformUrl } from 'unpic';
import { transformProps } from '@unpic/core';
import { getImageProps } from 'next/image.js';
import { generateImageUrl } from '@imgproxy/imgproxy-node';
import { imageConfigDefault } from 'next/dist/shared/lib/image-config.js';

const { values: a } = parseArgs({
  options: {
    base: { type: 'string', default: 'http://127.0.0.1:9080' },
    src: { type: 'string', default: '/img/builders.jpg' },
    'src-width': { type: 'string', default: '1200' },
    'src-height': { type: 'string', default: '900' },
    'imgproxy-key': { type: 'string', default: '943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881' },
    'imgproxy-salt': { type: 'string', default: '520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5' },
  },
});
const base = a.base.replace(/\/$/, '');
const src = a.src;
const abs = base + src;
const sw = Number(a['src-width']);
const sh = Number(a['src-height']);

// fitWidth is the size of the source fitted to a width, keeping its ratio.
const fitWidth = (w) => ({ width: w, height: Math.round((sh * w) / sw) });

const cases = [];
const add = (provider, builder, url, want) => cases.push({ provider, builder, url, ...want });

// The source as Supabase Storage (bucket img) and Directus (asset id
// builders.jpg) name it: Matte reads them as /img/builders.jpg and
// /assets/builders.jpg on its site.
const supabaseObject = base + '/storage/v1/object/public' + src;
const directusAsset = base + '/assets/builders.jpg';
// Shopify's file URL, and its older /s/files/ form with img_url's size
// suffix (which unpic removes): Matte reads the file's path on its site.
const shopifyFile = base + '/cdn/shop/files/builders.jpg';
const shopifyOld = base + '/s/files/1/0/1/files/builders_200x100_crop_center.jpg';
// Uploadcare's file by its UUID: unpic drops the file name, so Matte reads
// /<uuid> on its site.
const uploadcareFile = base + '/0f2d1c1a-8c3e-4a2b-9f1e-3c2b1a0d9e8f/builders.jpg';
// A Storyblok asset: Matte reads the path before /m/ on its site.
const storyblokAsset = base + '/f/39898/1200x900/e4ec08624e/builders.jpg';
// A Contentstack asset and a Builder.io one: Matte reads their paths on its
// site.
const contentstackAsset = base + '/v3/assets/blt0123456789abcdef/blt0123456789abcde/64f5a3c2d1b0e9f8a7c6b5d4/builders.jpg';
const builderAsset = base + '/api/v1/image/assets/YJIGb4i01jvw0SRdL5Bt/0c3b2a1f9e8d4c7b6a5f4e3d2c1b0a99';
// Bunny Optimizer and KeyCDN read their query on any path: the builders
// site turns each on only under its own prefix, where the source is.
const bunnyFile = base + '/bunny/builders.jpg';
const keycdnFile = base + '/keycdn/builders.jpg';
// A Contentful asset (space, asset id, token, file name) and a Kontent.ai
// one (project and asset UUIDs, file name): Matte reads each path on its
// site.
const contentfulAsset = base + '/yadj1kx9rmg0/4x2ZTaKgBqTTJbbZWzbVQA/cf6f68efdcf625fdc060607df0f3baef/builders.jpg';
const kontentAsset = base + '/8c150fae-fba4-0115-ef12-b10a8a4e2715/916fe268-2655-44dd-966d-b09a913bbbf2/builders.jpg';
// A WordPress upload: Matte reads its path on the site.
const wordpressUpload = base + '/wp-content/uploads/2024/01/builders.jpg';
// An Appwrite file's view URL: Matte reads the preview's source as that
// view path on the site, project= kept.
const appwriteFile = base + '/v1/storage/buckets/photos/files/66f1a2b3c4d5e6f7a8b9/view?project=matte-demo';
// A Hygraph asset: unpic rewrites only <region>.graphassets.com URLs; the
// request is the URL's path on Matte, /<env id>/<tasks>/<handle>, whose
// source is /<env id>/<handle> on its site.
const hygraphAsset = 'https://eu-central-1.graphassets.com/clxyz0123abcd/AbCdEf0123456789XyZw';
// A Scene7 (Adobe Dynamic Media) image: Matte reads /is/image/<company>/
// <image> on its site.
const scene7Image = base + '/is/image/matte/builders';
// A Cloudflare Images delivery URL on the site's own domain (account hash,
// image id; unpic writes the variant): Matte reads the image id as /<id>
// on its site. (unpic 4.2.2 reads a named variant such as public as an
// option, public=undefined, so the URL it is given has none.)
const cfImage = base + '/cdn-cgi/imagedelivery/ZWd9g1K7eljCn_KDTu_MWA/083eb7b2-5392-4565-b69e-aff66acddd00';
// A Cloudimage v7 URL whose origin is a path on the site (unpic keeps the
// /v7/ of the URL it is given; the token's host is dropped as any host is).
const cloudimageSrc = 'https://demo.cloudimg.io/v7' + src;

// unpic, one URL per provider it knows: 400x300 from a 4:3 source.
const box = { width: 400, height: 300 };
const unpicCases = [
  // imgix: fit=min&auto=format (unpic's defaults).
  ['imgix', abs, {}, { ...box, format: 'webp' }],
  // Cloudflare: /cdn-cgi/image/width=,height=,f=auto,fit=cover/<path>.
  ['cloudflare', src, {}, { ...box, format: 'webp' }],
  // ipx: /_ipx/s_400x300,f_auto/<path>.
  ['ipx', src, {}, { ...box, format: 'webp' }],
  // Next.js: width only (the optimizer keeps the ratio), q=75.
  ['nextjs', src, { height: undefined }, { ...fitWidth(400), format: 'webp' }],
  // Netlify: fit=cover, format by Accept.
  ['netlify', src, {}, { ...box, format: 'webp' }],
  // wsrv: fit=cover, the source without its scheme; no output= keeps JPEG.
  ['wsrv', abs, {}, { ...box, format: 'jpeg' }],
  // ImageKit: ?tr=w-400,h-300,c-maintain_ratio,fo-auto; the source's format.
  ['imagekit', abs, {}, { ...box, format: 'jpeg' }],
  // Vercel: /_vercel/image?w=&q=75&url=, width only, format by Accept.
  ['vercel', src, { height: undefined }, { ...fitWidth(400), format: 'webp' }],
  // Supabase: the object URL becomes /storage/v1/render/image/public/img/
  // builders.jpg?width=&height= (resize cover, format by Accept).
  ['supabase', supabaseObject, {}, { ...box, format: 'webp' }],
  // Directus: /assets/<id>?width=&height=&withoutEnlargement=true&fit=cover.
  ['directus', directusAsset, {}, { ...box, format: 'jpeg' }],
  // Shopify: ?width=&height= (fitted inside the box), format by Accept.
  ['shopify', shopifyFile, {}, { ...box, format: 'webp' }],
  // The old size suffix's crop=center stays in the query.
  ['shopify', shopifyOld, {}, { ...box, format: 'webp' }],
  // Uploadcare: /<uuid>/-/resize/400x300/-/format/auto/ (stretched to the
  // box, format by Accept).
  ['uploadcare', uploadcareFile, {}, { ...box, format: 'webp' }],
  // Storyblok: <asset>/m/400x300 (cropped to the box), WebP by Accept.
  ['storyblok', storyblokAsset, {}, { ...box, format: 'webp' }],
  // Contentstack: auto=webp&disable=upscale, fit=crop with both sides.
  ['contentstack', contentstackAsset, {}, { ...box, format: 'webp' }],
  // Builder.io: fit=cover&format=webp&sharp=true.
  ['builder.io', builderAsset, {}, { ...box, format: 'webp' }],
  // Astro: /_image?w=&h=&fit=cover&href=<path>; without f, the source's format.
  ['astro', src, {}, { ...box, format: 'jpeg' }],
  // ImageEngine: <source>?imgeng=w_400/h_300/m_cropbox, format by Accept.
  ['imageengine', abs, {}, { ...box, format: 'webp' }],
  // Bunny: ?width=&height=&aspect_ratio=W:H (the centred area of that
  // ratio, fitted to the box); the source's format.
  ['bunny', bunnyFile, {}, { ...box, format: 'jpeg' }],
  // KeyCDN: ?width=&height=&fit=cover; the source's format.
  ['keycdn', keycdnFile, {}, { ...box, format: 'jpeg' }],
  // Contentful: ?w=&h=&fit=fill (cropped to the box), the source's format.
  ['contentful', contentfulAsset, {}, { ...box, format: 'jpeg' }],
  // Kontent.ai: ?w=&h=&fit=crop, the source's format.
  ['kontent.ai', kontentAsset, {}, { ...box, format: 'jpeg' }],
  // WordPress (Photon): ?w=&h=&crop=1 (the centre of the box), the
  // source's format.
  ['wordpress', wordpressUpload, {}, { ...box, format: 'jpeg' }],
  // Appwrite: /preview?width=&height=&project= (covered and cut at the
  // centre), the source's format.
  ['appwrite', appwriteFile, {}, { ...box, format: 'jpeg' }],
  // Hygraph: resize=fit:crop,width:,height:/auto_image (format by Accept).
  ['hygraph', hygraphAsset, {}, { ...box, format: 'webp' }],
  // Scene7: ?wid=&hei=&fit=crop,0 (cropped, never enlarged); the source's format.
  ['scene7', scene7Image, {}, { ...box, format: 'jpeg' }],
  // Cloudflare Images: a flexible variant w=400,h=300,fit=cover; AVIF or
  // WebP by Accept.
  ['cloudflare_images', cfImage, {}, { ...box, format: 'webp' }],
  // Cloudimage: ?w=&h=&org_if_sml=1, func=crop by default; the source's
  // format.
  ['cloudimage', cloudimageSrc, {}, { ...box, format: 'jpeg' }],
];
for (const [provider, url, extra, want] of unpicCases) {
  const built = transformUrl({ url, provider, ...box, ...extra });
  add(provider, 'unpic', built, want);
}
// Explicit formats and a one-sided resize through unpic.
add('netlify', 'unpic', transformUrl({ url: src, provider: 'netlify', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('wsrv', 'unpic', transformUrl({ url: abs, provider: 'wsrv', width: 320, format: 'webp' }), { ...fitWidth(320), format: 'webp' });
add('imagekit', 'unpic', transformUrl({ url: abs, provider: 'imagekit', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
// Cloudinary: unpic rewrites only res.cloudinary.com URLs (or a private
// CDN's without a port); the request is the URL's path on Matte:
// /demo/image/upload/w_400,h_300,f_auto,c_lfill/v1712345/img/builders.jpg.
const cloudinarySrc = 'https://res.cloudinary.com/demo/image/upload/v1712345' + src;
add('cloudinary', 'unpic', transformUrl({ url: cloudinarySrc, provider: 'cloudinary', ...box }), { ...box, format: 'webp' });
add('cloudinary', 'unpic', transformUrl({ url: cloudinarySrc, provider: 'cloudinary', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('supabase', 'unpic', transformUrl({ url: supabaseObject, provider: 'supabase', width: 320, format: 'origin' }), { ...fitWidth(320), format: 'jpeg' });
add('directus', 'unpic', transformUrl({ url: directusAsset, provider: 'directus', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('uploadcare', 'unpic', transformUrl({ url: uploadcareFile, provider: 'uploadcare', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('storyblok', 'unpic', transformUrl({ url: storyblokAsset, provider: 'storyblok', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('contentstack', 'unpic', transformUrl({ url: contentstackAsset, provider: 'contentstack', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('builder.io', 'unpic', transformUrl({ url: builderAsset, provider: 'builder.io', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('astro', 'unpic', transformUrl({ url: src, provider: 'astro', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('imageengine', 'unpic', transformUrl({ url: abs, provider: 'imageengine', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
// Astro's endpoint on the site itself, with a remote href (allow_hosts).
add('astro', 'unpic', transformUrl({ url: abs, provider: 'astro', ...box }, {}, { astro: { baseUrl: base } }), { ...box, format: 'jpeg' });
add('bunny', 'unpic', transformUrl({ url: bunnyFile, provider: 'bunny', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('keycdn', 'unpic', transformUrl({ url: keycdnFile, provider: 'keycdn', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('contentful', 'unpic', transformUrl({ url: contentfulAsset, provider: 'contentful', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('kontent.ai', 'unpic', transformUrl({ url: kontentAsset, provider: 'kontent.ai', width: 320, format: 'webp' }), { ...fitWidth(320), format: 'webp' });
// One side: crop=1 changes nothing, the width is fitted.
add('wordpress', 'unpic', transformUrl({ url: wordpressUpload, provider: 'wordpress', width: 320 }), { ...fitWidth(320), format: 'jpeg' });
add('appwrite', 'unpic', transformUrl({ url: appwriteFile, provider: 'appwrite', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('hygraph', 'unpic', transformUrl({ url: hygraphAsset, provider: 'hygraph', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('scene7', 'unpic', transformUrl({ url: scene7Image, provider: 'scene7', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('cloudflare_images', 'unpic', transformUrl({ url: cfImage, provider: 'cloudflare_images', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });
add('cloudimage', 'unpic', transformUrl({ url: cloudimageSrc, provider: 'cloudimage', width: 320, format: 'png' }), { ...fitWidth(320), format: 'png' });

// @unpic/core: the props a framework component renders (fixed layout).
for (const [cdn, url, fmt] of [
  ['imgix', abs, 'webp'], ['cloudflare', src, 'webp'], ['ipx', src, 'webp'], ['netlify', src, 'webp'],
  ['wsrv', abs, 'jpeg'], ['imagekit', abs, 'jpeg'], ['supabase', supabaseObject, 'webp'], ['directus', directusAsset, 'jpeg'],
  ['shopify', shopifyFile, 'webp'], ['uploadcare', uploadcareFile, 'webp'], ['storyblok', storyblokAsset, 'webp'],
  ['contentstack', contentstackAsset, 'webp'], ['builder.io', builderAsset, 'webp'],
  ['astro', src, 'jpeg'], ['imageengine', abs, 'webp'],
  ['bunny', bunnyFile, 'jpeg'], ['keycdn', keycdnFile, 'jpeg'],
  ['contentful', contentfulAsset, 'jpeg'], ['kontent.ai', kontentAsset, 'jpeg'],
  ['wordpress', wordpressUpload, 'jpeg'], ['appwrite', appwriteFile, 'jpeg'],
  ['hygraph', hygraphAsset, 'webp'], ['scene7', scene7Image, 'jpeg'],
]) {
  const props = transformProps({ src: url, cdn, width: 200, height: 150, layout: 'fixed' });
  add(cdn, '@unpic/core', props.src, { width: 200, height: 150, format: fmt });
}
{
  // Cloudinary through @unpic/core: c_lfill at 200x150, f_auto.
  const props = transformProps({ src: cloudinarySrc, cdn: 'cloudinary', width: 200, height: 150, layout: 'fixed' });
  add('cloudinary', '@unpic/core', props.src, { width: 200, height: 150, format: 'webp' });
}
{
  // Next.js through @unpic/core: width only.
  const props = transformProps({ src, cdn: 'nextjs', width: 200, height: 150, layout: 'fixed' });
  add('nextjs', '@unpic/core', props.src, { ...fitWidth(200), format: 'webp' });
}
{
  // Vercel through @unpic/core: width only.
  const props = transformProps({ src, cdn: 'vercel', width: 200, height: 150, layout: 'fixed' });
  add('vercel', '@unpic/core', props.src, { ...fitWidth(200), format: 'webp' });
}

// next/image's getImageProps with the default loader: w is the next device
// size at or above 2x (828 for 400), never enlarged beyond the source. An
// absolute src must be allowed, as next.config.js's images.remotePatterns
// would allow it; outside a Next build the loader reads Next's defaults, so
// the pattern goes there.
{
  const host = new URL(base);
  imageConfigDefault.remotePatterns.push({ protocol: host.protocol.slice(0, -1), hostname: host.hostname });
  const { props } = getImageProps({ src, width: 400, height: 300, alt: '' });
  const w = Number(new URL(props.src, 'http://n/').searchParams.get('w'));
  add('nextjs', 'next/image', props.src, { ...fitWidth(Math.min(w, sw)), format: 'webp' });
  const abs1x = getImageProps({ src: abs, width: 64, height: 48, alt: '', quality: 75 }).props.src;
  const w1 = Number(new URL(abs1x, 'http://n/').searchParams.get('w'));
  add('nextjs', 'next/image', abs1x, { ...fitWidth(w1), format: 'webp' });
}

// @imgproxy/imgproxy-node: signed (key and salt) and unsigned ("insecure").
const imgproxyOptions = { resizing_type: 'fill', width: 400, height: 300, format: 'webp' };
add('imgproxy', '@imgproxy/imgproxy-node signed', generateImageUrl({
  endpoint: base, url: abs, options: imgproxyOptions, key: a['imgproxy-key'], salt: a['imgproxy-salt'],
}), { ...box, format: 'webp' });
add('imgproxy', '@imgproxy/imgproxy-node signed', generateImageUrl({
  endpoint: base, url: { value: abs, displayAs: 'base64' }, options: { resize: { resizing_type: 'fit', width: 320, height: 320 }, format: 'png' },
  key: a['imgproxy-key'], salt: a['imgproxy-salt'],
}), { ...fitWidth(320), format: 'png' });
add('imgproxy', '@imgproxy/imgproxy-node unsigned', generateImageUrl({
  endpoint: base, url: abs, options: { width: 320, format: 'jpg' },
}), { ...fitWidth(320), format: 'jpeg' });
add('imgproxy', '@imgproxy/imgproxy-node unsigned', generateImageUrl({
  endpoint: base, url: { value: abs, displayAs: 'plain' }, options: { resize: { resizing_type: 'fill', width: 200, height: 200 } },
}), { width: 200, height: 200, format: 'jpeg' });

// Every URL as a request on base: its path and query.
for (const c of cases) {
  const u = new URL(c.url, base + '/');
  c.request = u.pathname + u.search;
}
process.stdout.write(JSON.stringify({
  base, src, src_width: sw, src_height: sh, accept: 'image/webp,*/*',
  imgproxy_key: a['imgproxy-key'], imgproxy_salt: a['imgproxy-salt'],
  thumbor: 'unpic 4.2.2 has no Thumbor provider, and the brief pins no other Thumbor builder',
  cases,
}, null, 2) + '\n');
