package removebg

import (
	"net/http"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// ParseImprove parses POST /v1.0/improve, remove.bg's improvement program
// (its OpenAPI reference, ImprovementProgramJson/Multipart): exactly one of
// image_file, image_file_b64 or image_url, as for /v1.0/removebg (with the
// same errors), plus the optional image_filename and tag, kept as given.
// Without image_filename, an image_file part's own filename is taken.
// Every other field is ignored, as remove.bg documents none.
func ParseImprove(b *dialect.Body, maxSourceBytes int64) (*dialect.Submission, params.Errors) {
	p := &parser{b: b, max: maxSourceBytes, r: &Request{}}
	p.source()
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	s := &dialect.Submission{Image: p.r.Source}
	s.Filename, _ = b.Text("image_filename")
	if f, ok := b.File("image_file"); ok && s.Filename == "" {
		s.Filename = f.Filename
	}
	s.Tag, _ = b.Text("tag")
	return s, nil
}

// WriteImproved answers a stored submission as remove.bg does
// (ImprovementProgramJsonResponse): 200 {"id":"<the submission's id>"}.
func WriteImproved(w http.ResponseWriter, id string) {
	dialect.WriteJSON(w, http.StatusOK, struct {
		ID string `json:"id"`
	}{id})
}
