package removebg

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/internal/accept"
	"github.com/jebosio/matte/params"
)

// MaxFileBytes is the upload limit remove.bg documents ("Increased maximum
// file size to 12 MB"), read as 12 MiB so that either reading of "MB" fits.
const MaxFileBytes = 12 << 20

// API is remove.bg v1.0 for the hosted-API flow: POST /v1.0/removebg,
// GET /v1.0/account and POST /v1.0/improve, the key in X-Api-Key.
var API = &dialect.API{
	Name: "removebg",
	Routes: []dialect.Route{
		{Path: "/v1.0/removebg", Method: http.MethodPost, Endpoint: "removebg"},
		{Path: "/v1.0/account", Method: http.MethodGet, Endpoint: "account", Account: true},
		{Path: "/v1.0/improve", Method: http.MethodPost, Endpoint: "improve", Submit: true},
	},
	Namespace:    "/v1.0/",
	KeyHeader:    "X-Api-Key",
	MaxFileBytes: MaxFileBytes,
	Images:       2,
	LargeFields:  []string{"image_file_b64"},
	Parse: func(_ string, b *dialect.Body, maxFileBytes int64) (dialect.Request, params.Errors) {
		return dialect.AsRequest(Parse(b, maxFileBytes))
	},
	Fail:        Fail,
	WriteErrors: WriteErrors,
	Account:     WriteAccount,

	ParseSubmission: ParseImprove,
	Submitted:       WriteImproved,
}

// Respond writes the image with remove.bg's headers, or with Accept:
// application/json {"data":{"result_b64","foreground_top",...}}.
func (r *Request) Respond(w http.ResponseWriter, req *http.Request, res dialect.Result) error {
	hdr := w.Header()
	fg := res.Foreground
	hdr.Set("X-Width", strconv.Itoa(res.Width))
	hdr.Set("X-Height", strconv.Itoa(res.Height))
	hdr.Set("X-Type", r.XType())
	hdr.Set("X-Credits-Charged", strconv.FormatFloat(res.Credits, 'f', -1, 64))
	hdr.Set("X-Foreground-Top", strconv.Itoa(fg.Y))
	hdr.Set("X-Foreground-Left", strconv.Itoa(fg.X))
	hdr.Set("X-Foreground-Width", strconv.Itoa(fg.W))
	hdr.Set("X-Foreground-Height", strconv.Itoa(fg.H))
	if res.Model != "" {
		hdr.Set("X-Matte-Model", res.Model)
	}
	if !prefersJSON(req.Header.Get("Accept"), res.ContentType) {
		return dialect.WriteImage(w, res)
	}
	type data struct {
		ResultB64        string `json:"result_b64"`
		ForegroundTop    int    `json:"foreground_top"`
		ForegroundLeft   int    `json:"foreground_left"`
		ForegroundWidth  int    `json:"foreground_width"`
		ForegroundHeight int    `json:"foreground_height"`
	}
	return dialect.WriteJSON(w, http.StatusOK, struct {
		Data data `json:"data"`
	}{data{base64.StdEncoding.EncodeToString(res.Image), fg.Y, fg.X, fg.W, fg.H}})
}

// prefersJSON reports whether Accept asks for JSON rather than the image of
// type imageType: JSON must weigh more than the image. A tie is the image,
// remove.bg's default answer, so that a client sending axios's default
// "application/json, text/plain, */*" while saving the body as a PNG (the
// usual Node client) gets the PNG, and "Accept: application/json" gets JSON.
func prefersJSON(header, imageType string) bool {
	return accept.Quality(header, "application/json") > accept.Quality(header, imageType)
}

// WriteAccount answers GET /v1.0/account with exactly remove.bg's keys:
// total and subscription are the credits left this month.
func WriteAccount(w http.ResponseWriter, credits float64) {
	type creditsJSON struct {
		Total        float64 `json:"total"`
		Subscription float64 `json:"subscription"`
		PayG         float64 `json:"payg"`
		Enterprise   float64 `json:"enterprise"`
	}
	type api struct {
		FreeCalls int    `json:"free_calls"`
		Sizes     string `json:"sizes"`
	}
	type attributes struct {
		Credits creditsJSON `json:"credits"`
		API     api         `json:"api"`
	}
	type data struct {
		Attributes attributes `json:"attributes"`
	}
	dialect.WriteJSON(w, http.StatusOK, struct {
		Data data `json:"data"`
	}{data{attributes{Credits: creditsJSON{Total: credits, Subscription: credits}, API: api{FreeCalls: 0, Sizes: "all"}}}})
}
