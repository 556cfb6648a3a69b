// Runs the unmodified rembg.js client against Matte (see redirect.cjs) with
// each documented input form and option, and writes what it returned to
// OUT_DIR for the Go test to check: <name>.bin for images (file output or
// the decoded data URL), <name>.json for the returned fields, or
// <name>.error with the client's error message.
'use strict';
const fs = require('fs');
const path = require('path');
const { rembg } = require('@remove-background-ai/rembg.js');

const out = process.env.OUT_DIR;
const photo = process.env.PHOTO;
const apiKey = process.env.API_KEY || 'test-key';
const quiet = () => {};

const cases = [
  { name: 'path-defaults', input: photo },
  { name: 'buffer-png', input: fs.readFileSync(photo), options: { format: 'png' } },
  { name: 'base64-input', input: { base64: fs.readFileSync(photo).toString('base64') } },
  { name: 'return-base64', input: photo, options: { returnBase64: true, format: 'png' } },
  { name: 'return-mask', input: photo, options: { returnMask: true, format: 'png' } },
  { name: 'resize', input: photo, options: { w: 200, h: 100, format: 'png' } },
  { name: 'angle-bg', input: photo, options: { angle: 90, bg_color: '#ffffffff', format: 'png' } },
];

(async () => {
  for (const c of cases) {
    const t0 = Date.now();
    console.error('case', c.name);
    try {
      const res = await rembg({ apiKey, inputImage: c.input, options: c.options, onUploadProgress: quiet, onDownloadProgress: quiet });
      if (res.base64Image) {
        const [prefix, data] = res.base64Image.split(',');
        fs.writeFileSync(path.join(out, c.name + '.json'), JSON.stringify({ prefix }));
        fs.writeFileSync(path.join(out, c.name + '.bin'), Buffer.from(data, 'base64'));
      } else {
        fs.copyFileSync(res.outputImagePath, path.join(out, c.name + '.bin'));
        fs.writeFileSync(path.join(out, c.name + '.json'), JSON.stringify({ ext: path.extname(res.outputImagePath) }));
        await res.cleanup();
      }
      console.error('done', c.name, Date.now() - t0, 'ms');
    } catch (e) {
      fs.writeFileSync(path.join(out, c.name + '.error'), String(e && e.message));
      console.error('error', c.name, String(e && e.message).slice(0, 300));
    }
  }
  // Idle keep-alive sockets would keep Node running after the last case.
  process.exit(0);
})();
