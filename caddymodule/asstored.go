package caddymodule

import (
	"bytes"
	"time"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// asStored reports whether the answer to p over src is src itself, as
// stored: params.FramesSource (the Next.js and Vercel dialects) over an
// animated source, a GIF or WebP of more than one frame, as the probe
// counts them (the rule of transform's animatedSource). It reads only the
// memo's Info, so a request answered from a fresh memo and one that
// fetched the source decide alike, and the result key (its Format, the
// source's) agrees with the entry that storedResult makes.
func asStored(p params.Params, src transform.Source) bool {
	return p.Frames == params.FramesSource && src.Pages > 1 && (src.Type == params.FormatGIF || src.Type == params.FormatWebP)
}

// storedResult is the result entry of a request that asStored answers:
// a copy of src (the cache owns what it stores; src is the request's
// buffer, counted in max_buffered_bytes only while the request holds it)
// in the source's own type, cached and validated as a transformed result
// is. Nothing is decoded, so it takes no queue slot, admission or worker.
func storedResult(req *imageRequest, src []byte) (cache.Entry, bool, error) {
	meta := resultMeta{Width: req.Memo.Info.Width, Height: req.Memo.Info.Height}
	return cache.Entry{Value: bytes.Clone(src), ContentType: req.Format.ContentType(), Created: time.Now(), Tag: req.Tag,
		Meta: encodeMeta(entryMeta{Result: &meta})}, !req.Private, nil
}
