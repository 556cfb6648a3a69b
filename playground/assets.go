package playground

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
)

// asset is one embedded file of the page.
type asset struct {
	data        []byte
	contentType string
	etag        string
	page        bool // the HTML page: gets the Content-Security-Policy
}

// contentTypes are the types of the embedded files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// loadAssets reads the embedded files once, each with its ETag.
func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(data)
		name := p[len("static/"):]
		out[name] = asset{data: data, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, page: name == "index.html"}
		return nil
	})
	return out, err
}
