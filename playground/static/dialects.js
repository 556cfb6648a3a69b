// The URL of one transform in each dialect Matte speaks. Pure functions of
// the settings s:
//   src      a path on this site ("/playground/src/<hash>.jpg")
//   w, h     integers or 0; fit: clip|max|crop|min|fill|scale (imgix's)
//   faces    centre the cut on the faces found (with crop or min and both
//            sides: cuts(s); otherwise nothing to place)
//   fm       "" (as the source) | auto | webp | avif | png | jpg | gif
//   q        0 (the server's default) or 1-100
//   rembg, model ("" = the default), refine, cropFg, fgPad, shadow, shadowOpacity (5-100)
//   bg       none | color | image | blur | gradient, with bgColor, bgImage,
//            bgBlur, gradTop, gradBottom (colours as "rrggbb")
//   cloud    the Cloudinary cloud line the page writes URLs for, {name,
//            prefix}, or null (the site has none)
// Each builder returns {url, lost}: lost names the settings the dialect
// cannot spell, which its URL therefore leaves out.

// enc escapes a query or path value, keeping the characters that read
// well and mean nothing special there.
const enc = (v) => encodeURIComponent(String(v)).replace(/%2C/gi, ",").replace(/%2F/gi, "/").replace(/%3A/gi, ":");
const bare = (path) => path.replace(/^\/+/, "");

// cuts reports whether s cuts a crop that faces could place.
const cuts = (s) => s.faces && s.w > 0 && s.h > 0 && (s.fit === "crop" || s.fit === "min");

// The removal extras only Matte's query spells.
function removalLost(s, spelled) {
  if (!s.rembg) return [];
  const lost = [];
  if (!spelled.includes("rembg")) lost.push("background removal");
  if (s.model) lost.push("model");
  if (s.refine) lost.push("refine");
  if (s.cropFg) lost.push("crop to subject");
  if (s.shadow) lost.push("shadow");
  if (s.bg === "image") lost.push("background image");
  if (s.bg === "blur") lost.push("background blur");
  if (s.bg === "gradient") lost.push("gradient");
  return lost;
}

function query(s) {
  const p = [];
  if (s.w) p.push(["w", s.w]);
  if (s.h) p.push(["h", s.h]);
  if (s.fit !== "clip") p.push(["fit", s.fit]);
  if (cuts(s)) p.push(["crop", "faces"]);
  if (s.fm === "auto") p.push(["auto", "format"]);
  else if (s.fm) p.push(["fm", s.fm]);
  if (s.q) p.push(["q", s.q]);
  if (s.rembg) {
    p.push(["rembg", 1]);
    if (s.model) p.push(["model", s.model]);
    if (s.refine) p.push(["refine", 1]);
    if (s.cropFg) {
      p.push(["crop", "fg"]);
      if (s.fgPad) p.push(["fg-pad", s.fgPad]);
    }
    if (s.shadow) {
      p.push(["shadow", "drop"]);
      if (s.shadowOpacity !== 50) p.push(["shadow-opacity", s.shadowOpacity / 100]);
    }
  }
  if (s.bg === "color") p.push(["bg", s.bgColor]);
  if (s.rembg && s.bg === "image" && s.bgImage) p.push(["bg-image", s.bgImage]);
  if (s.rembg && s.bg === "blur") p.push(["bg-blur", s.bgBlur]);
  if (s.rembg && s.bg === "gradient") p.push(["bg-gradient", s.gradTop + "," + s.gradBottom]);
  const qs = p.map(([k, v]) => k + "=" + enc(v)).join("&");
  return { url: s.src + (qs ? "?" + qs : ""), lost: [] };
}

function cloudflare(s) {
  const o = [], lost = [];
  if (s.w) o.push("width=" + s.w);
  if (s.h) o.push("height=" + s.h);
  const fit = { clip: "contain", max: "scale-down", crop: "cover", min: "crop", fill: "pad" }[s.fit];
  if (fit) o.push("fit=" + fit);
  else lost.push("fit=" + s.fit);
  if (cuts(s)) o.push("gravity=face");
  const fm = { auto: "auto", webp: "webp", avif: "avif", jpg: "jpeg" }[s.fm];
  if (fm) o.push("format=" + fm);
  else if (s.fm) lost.push("format " + s.fm);
  if (s.q) o.push("quality=" + s.q);
  if (s.bg === "color") o.push("background=" + enc("#" + s.bgColor));
  if (s.rembg) o.push("segment=foreground");
  lost.push(...removalLost(s, ["rembg"]));
  return { url: "/cdn-cgi/image/" + (o.join(",") || "format=auto") + "/" + bare(s.src), lost };
}

function imgproxy(s) {
  const o = [], lost = [];
  if (s.w || s.h) {
    const rs = {
      clip: ["fit", 1, 0], max: ["fit", 0, 0], crop: ["fill", 1, 0], min: ["fill", 0, 0], fill: ["fit", 1, 1], scale: ["force", 1, 0],
    }[s.fit];
    o.push(["rs", rs[0], s.w || 0, s.h || 0, rs[1], rs[2]].join(":"));
  }
  if (cuts(s)) o.push("g:obj:face");
  if (s.q) o.push("q:" + s.q);
  if (s.bg === "color") o.push("bg:" + s.bgColor);
  if (s.fm === "auto") lost.push("format auto (imgproxy negotiates by its own settings)");
  const ext = s.fm && s.fm !== "auto" ? "@" + s.fm : "";
  lost.push(...removalLost(s, []));
  return { url: "/insecure/" + (o.length ? o.join("/") + "/" : "") + "plain/" + bare(s.src) + ext, lost };
}

function ipx(s) {
  const o = [], lost = [];
  if (s.w) o.push("w_" + s.w);
  if (s.h) o.push("h_" + s.h);
  if (s.w && s.h) o.push("fit_" + { clip: "inside", max: "inside", crop: "cover", min: "cover", fill: "contain", scale: "fill" }[s.fit]);
  if (s.fit === "max" || s.fit === "min") lost.push("fit=" + s.fit + " (never larger)");
  if (cuts(s)) lost.push("faces");
  if (s.fm === "auto") lost.push("format auto");
  else if (s.fm) o.push("f_" + s.fm);
  if (s.q) o.push("q_" + s.q);
  if (s.bg === "color") o.push("b_" + s.bgColor);
  lost.push(...removalLost(s, []));
  return { url: "/_ipx/" + (o.join(",") || "_") + "/" + bare(s.src), lost };
}

function nextjs(s) {
  const lost = [];
  if (!s.w) lost.push("no width (Next.js needs one: 640 is used)");
  if (s.h) lost.push("height");
  if (s.fit !== "clip") lost.push("fit=" + s.fit);
  if (cuts(s)) lost.push("faces");
  if (s.fm && s.fm !== "auto") lost.push("format " + s.fm + " (Next.js negotiates by Accept)");
  if (s.bg === "color") lost.push("background colour");
  lost.push(...removalLost(s, []));
  return { url: "/_next/image?url=" + encodeURIComponent(s.src) + "&w=" + (s.w || 640) + "&q=" + (s.q || 75), lost };
}

function netlify(s) {
  const p = ["url=" + enc(s.src)], lost = [];
  if (s.w) p.push("w=" + s.w);
  if (s.h) p.push("h=" + s.h);
  const fit = { clip: "contain", crop: "cover", scale: "fill" }[s.fit];
  if (fit) {
    if (s.fit !== "clip") p.push("fit=" + fit);
  } else lost.push("fit=" + s.fit);
  if (cuts(s)) lost.push("faces");
  if (s.fm && s.fm !== "auto") p.push("fm=" + s.fm);
  if (s.q) p.push("q=" + s.q);
  if (s.bg === "color") lost.push("background colour");
  lost.push(...removalLost(s, []));
  return { url: "/.netlify/images?" + p.join("&"), lost };
}

function wsrv(s) {
  const p = ["url=" + enc(s.src)], lost = [];
  if (s.w) p.push("w=" + s.w);
  if (s.h) p.push("h=" + s.h);
  const fit = { clip: "inside", max: "inside", crop: "cover", min: "cover", fill: "contain", scale: "fill" }[s.fit];
  if (s.fit !== "clip") p.push("fit=" + fit);
  if (s.fit === "max" || s.fit === "min") p.push("we");
  if (cuts(s)) lost.push("faces");
  if (s.fm === "auto") lost.push("format auto");
  else if (s.fm) p.push("output=" + s.fm);
  if (s.q) p.push("q=" + s.q);
  if (s.bg === "color") p.push((s.fit === "fill" ? "cbg=" : "bg=") + s.bgColor);
  lost.push(...removalLost(s, []));
  return { url: "/?" + p.join("&"), lost };
}

// vercel is Next.js's optimizer under Vercel's route.
function vercel(s) {
  const { url, lost } = nextjs(s);
  return { url: url.replace("/_next/image?", "/_vercel/image?"), lost };
}

// supabase: the render URL of the object /<bucket>/<path> (the source's path
// on this site). Supabase never enlarges, and without format it negotiates
// by Accept, as Matte's auto does.
function supabase(s) {
  const p = [], lost = [];
  if (s.w) p.push("width=" + s.w);
  if (s.h) p.push("height=" + s.h);
  const resize = { clip: "contain", max: "contain", crop: "cover", min: "cover", scale: "fill" }[s.fit];
  if (!resize) lost.push("fit=" + s.fit);
  else if ((s.w || s.h) && resize !== "cover") p.push("resize=" + resize);
  if ((s.w || s.h) && ["clip", "crop", "scale"].includes(s.fit)) lost.push("enlarging (Supabase never enlarges)");
  if (cuts(s)) lost.push("faces");
  if (s.fm === "") p.push("format=origin");
  else if (s.fm === "avif") p.push("format=avif");
  else if (s.fm !== "auto") lost.push("format " + s.fm + " (Supabase: the source's, avif, or by Accept)");
  if (s.q >= 20) p.push("quality=" + s.q);
  else if (s.q) lost.push("quality below 20");
  if (s.bg === "color") lost.push("background colour");
  lost.push(...removalLost(s, []));
  return { url: "/storage/v1/render/image/public/" + bare(s.src) + (p.length ? "?" + p.join("&") : ""), lost };
}

// cloudinary: an upload URL whose public ID is the source's path. s.cloud
// is the site's cloud line the page uses ({name, prefix}), or null when the
// site has none (then the URL carries no cloud name).
function cloudinary(s) {
  const lost = [], comps = [];
  let id = bare(s.src), base = "/image/upload/";
  if (s.cloud) {
    base = "/" + s.cloud.name + "/image/upload/";
    const prefix = s.cloud.prefix ? bare(s.cloud.prefix) + "/" : "";
    if (id.startsWith(prefix)) id = id.slice(prefix.length);
    else lost.push("the image (outside cloud " + s.cloud.name + "'s prefix " + s.cloud.prefix + ")");
  }
  if (s.rembg) comps.push("e_background_removal");
  const size = [];
  if (s.w || s.h) {
    size.push("c_" + { clip: "fit", max: "limit", crop: "fill", min: "lfill", fill: "pad", scale: "scale" }[s.fit]);
    if (s.w) size.push("w_" + s.w);
    if (s.h) size.push("h_" + s.h);
    if (cuts(s)) size.push("g_faces");
  }
  if (s.bg === "color") size.push("b_rgb:" + s.bgColor);
  if (size.length) comps.push(size.join(","));
  const out = [];
  if (s.fm) out.push("f_" + s.fm);
  if (s.q) out.push("q_" + s.q);
  if (out.length) comps.push(out.join(","));
  lost.push(...removalLost(s, ["rembg"]));
  return { url: base + comps.map((c) => c + "/").join("") + id, lost };
}

// astro: Astro's image endpoint. It never enlarges, and without f answers
// in the source's format (it has no negotiation by Accept).
function astro(s) {
  const p = ["href=" + encodeURIComponent(s.src)], lost = [];
  if (s.w) p.push("w=" + s.w);
  if (s.h) p.push("h=" + s.h);
  const fit = { clip: "inside", max: "inside", crop: "cover", min: "cover", scale: "fill" }[s.fit];
  if (!fit) lost.push("fit=" + s.fit);
  else if (s.w && s.h) p.push("fit=" + fit);
  if ((s.w || s.h) && ["clip", "crop"].includes(s.fit)) lost.push("enlarging (Astro never enlarges)");
  if (cuts(s)) lost.push("faces");
  if (s.fm === "auto") lost.push("format auto (Astro does not negotiate by Accept)");
  else if (s.fm) p.push("f=" + s.fm);
  if (s.q) p.push("q=" + s.q);
  if (s.bg === "color") p.push("background=" + enc("#" + s.bgColor));
  lost.push(...removalLost(s, []));
  return { url: "/_image?" + p.join("&"), lost };
}

// imageengine: the imgeng directives on the source's own URL; without f
// the format follows the browser, and cmpr is 100 - quality.
function imageengine(s) {
  const d = [], lost = [];
  if (s.w) d.push("w_" + s.w);
  if (s.h) d.push("h_" + s.h);
  const m = { clip: "box", crop: "cropbox", fill: "letterbox", scale: "stretch" }[s.fit];
  if (!m) lost.push("fit=" + s.fit + " (never larger)");
  else if (s.w && s.h && m !== "box") d.push("m_" + m);
  if (cuts(s)) lost.push("faces");
  if (s.fm && s.fm !== "auto") d.push("f_" + s.fm);
  else if (!s.fm) lost.push("format as the source (ImageEngine picks one per browser)");
  if (s.q) d.push("cmpr_" + (100 - s.q));
  if (s.bg === "color") lost.push("background colour");
  lost.push(...removalLost(s, []));
  return { url: s.src + (d.length ? "?imgeng=/" + d.join("/") : ""), lost };
}

function imagekit(s) {
  const t = [], lost = [];
  if (s.w) t.push("w-" + s.w);
  if (s.h) t.push("h-" + s.h);
  const c = { clip: "c-at_max_enlarge", max: "c-at_max", crop: "", min: "", fill: "cm-pad_resize", scale: "c-force" }[s.fit];
  if (c) t.push(c);
  if (s.fit === "min") lost.push("fit=min (never larger)");
  if (cuts(s)) t.push("fo-face");
  if (s.fm) t.push("f-" + s.fm);
  if (s.q) t.push("q-" + s.q);
  if (s.bg === "color") t.push("bg-" + s.bgColor.toUpperCase());
  if (s.rembg) t.push("e-bgremove");
  lost.push(...removalLost(s, ["rembg"]));
  return { url: s.src + (t.length ? "?tr=" + t.join(",") : ""), lost };
}

function thumbor(s) {
  const parts = ["/unsafe"], f = [], lost = [];
  if (["clip", "max", "fill"].includes(s.fit)) parts.push("fit-in");
  if (s.fit === "scale") lost.push("fit=scale");
  if (s.w || s.h) parts.push((s.w || 0) + "x" + (s.h || 0));
  if (cuts(s)) parts.push("smart");
  if (s.fit === "clip") f.push("upscale()");
  if (s.fm === "auto") lost.push("format auto");
  else if (s.fm) f.push("format(" + (s.fm === "jpg" ? "jpeg" : s.fm) + ")");
  if (s.q) f.push("quality(" + s.q + ")");
  if (s.bg === "color") f.push("fill(" + s.bgColor + ")");
  if (f.length) parts.push("filters:" + f.join(":"));
  lost.push(...removalLost(s, []));
  return { url: parts.join("/") + "/" + bare(s.src), lost };
}

// DIALECTS in the order the page lists them; id is the Caddyfile's name.
export const DIALECTS = [
  { id: "query", label: "Matte query (imgix)", build: query },
  { id: "cloudflare", label: "Cloudflare Images", build: cloudflare },
  { id: "imgproxy", label: "imgproxy", build: imgproxy },
  { id: "ipx", label: "ipx (Nuxt Image, Astro)", build: ipx },
  { id: "nextjs", label: "Next.js", build: nextjs },
  { id: "netlify", label: "Netlify Image CDN", build: netlify },
  { id: "wsrv", label: "wsrv.nl", build: wsrv },
  { id: "imagekit", label: "ImageKit", build: imagekit },
  { id: "thumbor", label: "Thumbor", build: thumbor },
  { id: "cloudinary", label: "Cloudinary", build: cloudinary },
  { id: "vercel", label: "Vercel", build: vercel },
  { id: "supabase", label: "Supabase Storage", build: supabase },
  { id: "astro", label: "Astro image endpoint", build: astro },
  { id: "imageengine", label: "ImageEngine", build: imageengine },
];

export function build(id, s) {
  const d = DIALECTS.find((x) => x.id === id) || DIALECTS[0];
  return d.build(s);
}

// quote wraps v for a POSIX shell.
const quote = (v) => "'" + String(v).replace(/'/g, "'\\''") + "'";

// removeBgCurl is the equivalent POST to the remove.bg-compatible API:
// {cmd, lost}. source is {name, url}: an upload's file name, or the
// absolute URL it was imported from.
export function removeBgCurl(s, source, endpoint, needsKey) {
  const lines = ["curl"], lost = [];
  if (needsKey) lines.push("-H 'X-Api-Key: YOUR_KEY'");
  if (source.url) lines.push("-F image_url=" + quote(source.url));
  else lines.push("-F image_file=@" + quote(source.name || "photo.jpg"));
  lines.push("-F size=auto");
  const fm = { "": "auto", auto: "auto", png: "png", jpg: "jpg", webp: "webp" }[s.fm];
  if (fm) lines.push("-F format=" + fm);
  else lost.push("format " + s.fm);
  if (s.bg === "color") lines.push("-F bg_color=" + s.bgColor);
  if (s.bg === "image" && s.bgImage) {
    if (/^https?:\/\//.test(s.bgImage)) lines.push("-F bg_image_url=" + quote(s.bgImage));
    else lines.push("-F bg_image_file=@" + quote(s.bgImage.split("/").pop() || "background.jpg"));
  }
  if (s.cropFg) {
    lines.push("-F crop=true");
    if (s.fgPad) lines.push("-F crop_margin=" + s.fgPad + "px");
  }
  if (s.shadow) {
    lines.push("-F add_shadow=true");
    lines.push("-F shadow_opacity=" + s.shadowOpacity);
  }
  if (s.w || s.h) lost.push("width and height (size picks a resolution class)");
  if (s.fit !== "clip") lost.push("fit");
  if (s.q) lost.push("quality");
  if (s.model) lost.push("model");
  if (s.refine) lost.push("refine");
  if (s.bg === "blur") lost.push("background blur");
  if (s.bg === "gradient") lost.push("gradient");
  const ext = fm === "jpg" ? "jpg" : fm === "webp" ? "webp" : "png";
  lines.push(quote(endpoint), "-o cutout." + ext);
  return { cmd: lines.join(" \\\n     "), lost };
}
