package caddymodule

import (
	"bytes"
	"time"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// asStored reports whether the answer to p over src is src itself, as
// stored: params.FramesSource (the Next.js and Vercel dialects) over a
// source that is an animation as stored (Source.AnimatedAsStored: a GIF
// or WebP of more than one frame, or an animated PNG, which only this
// decision reads: every transform takes an APNG for its default image). It
// reads only the memo's Info, so
// a request answered from a fresh memo and one that fetched the source
// decide alike, and the result key (its Format, the source's, and
// asStoredKey) agrees with the entry that storedResult makes.
func asStored(p params.Params, src transform.Source) bool {
	return p.Frames == params.FramesSource && src.AnimatedAsStored()
}

// asStoredKey is what the result key of an answer asStored gives adds to
// its fingerprint. An APNG answered as stored has the key a transform of
// it to a PNG has (same source, Params and Format; Matte answered such
// requests with the default image before it counted APNG frames, and
// still does where its memo predates that): the mark keeps the two
// entries apart.
const asStoredKey = ";as-stored"

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
